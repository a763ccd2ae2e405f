using System.Net;
using System.Text;
using System.Text.Json;
using BackupFunctions.Activities.Backups;
using BackupFunctions.IntegrationTests.Infrastructure;
using BackupFunctions.Orchestrations.Intake;

namespace BackupFunctions.IntegrationTests.Hosts.Local.Serve;

/// <summary>POST /api/backups/{id}/ack on the serve host: who from the body or the identity header, 400/404/409 with reasons, health 503 suspect then 200.</summary>
public class AckApiTests
{
    private const string Tables =
        "CREATE TABLE orders(id int PRIMARY KEY, note text); INSERT INTO orders SELECT g, md5(g::text) FROM generate_series(1, 2000) g;";

    private static async Task<string> BackUpAsync(BackupRuntime runtime)
    {
        string id = (await runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("orders"), null, CancellationToken.None)).BackupId;
        await runtime.VerifyBackupActivity().RunAsync(id, null, CancellationToken.None);
        await runtime.CheckAnomalyActivity().RunAsync(id, CancellationToken.None);
        return id;
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HttpClient http, string id, string body, string? identity = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/backups/{id}/ack") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (identity is not null)
        {
            request.Headers.Add(AckIntake.IdentityHeader, identity);
        }

        using var response = await http.SendAsync(request);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response.StatusCode, doc.RootElement.Clone());
    }

    [Fact]
    public async Task Ack_SuspectBackup_RecordsTheCaller_HealthGoesFrom503SuspectTo200Ok_AndBadRequestsSayWhy()
    {
        await using var db = await TestDatabase.CreateAsync("ack_http", Tables);
        await using var serve = await ServeFixture.StartAsync(new() { ["orders"] = TestVault.Postgres(db.Connection) });
        string normal = await BackUpAsync(serve.Runtime);
        await TestServers.ExecuteAsync(db.Name, "DELETE FROM orders WHERE id % 10 <> 0");
        string suspect = await BackUpAsync(serve.Runtime);

        using (var before = await serve.Http.GetAsync("/api/health"))
        {
            using var health = JsonDocument.Parse(await before.Content.ReadAsStringAsync());
            Assert.Equal(HttpStatusCode.ServiceUnavailable, before.StatusCode);
            Assert.Equal("suspect", health.RootElement.GetProperty("status").GetString());
            Assert.Contains("public.orders 200 vs median 2000 (-90%)", health.RootElement.GetProperty("targets")[0].GetProperty("reason").GetString(), StringComparison.Ordinal);
        }

        using (var catalog = JsonDocument.Parse(await serve.Http.GetStringAsync("/api/backups?target=orders")))
        {
            Assert.True(catalog.RootElement[0].GetProperty("suspect").GetBoolean());
            Assert.Equal("Suspect", catalog.RootElement[0].GetProperty("anomaly").GetString());
        }

        var nobody = await PostAsync(serve.Http, suspect, "");
        Assert.Equal(HttpStatusCode.BadRequest, nobody.Status);
        Assert.Contains(AckIntake.IdentityHeader, nobody.Body.GetProperty("error").GetString(), StringComparison.Ordinal);
        var badJson = await PostAsync(serve.Http, suspect, "{\"by\": 3}");
        Assert.Equal((HttpStatusCode.BadRequest, "'by' must be a string naming who accepts the backup"), (badJson.Status, badJson.Body.GetProperty("error").GetString()));
        var notSuspect = await PostAsync(serve.Http, normal, "{\"by\":\"carol\"}");
        Assert.Equal(HttpStatusCode.Conflict, notSuspect.Status);
        Assert.Contains($"backup {normal} is not suspect", notSuspect.Body.GetProperty("error").GetString(), StringComparison.Ordinal);
        var unknown = await PostAsync(serve.Http, "orders-20200101T000000Z-0000", "{\"by\":\"carol\"}");
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await serve.Http.GetAsync("/api/health")).StatusCode); // nothing of that was an acknowledgement

        var accepted = await PostAsync(serve.Http, suspect, "", identity: "dave@example.com");
        var repeated = await PostAsync(serve.Http, suspect, "{\"by\":\"carol\"}");

        Assert.Equal(HttpStatusCode.OK, accepted.Status);
        Assert.Equal(("Acknowledged", "dave@example.com", suspect), (accepted.Body.GetProperty("outcome").GetString(), accepted.Body.GetProperty("by").GetString(), accepted.Body.GetProperty("backupId").GetString()));
        Assert.Equal(HttpStatusCode.OK, repeated.Status);
        Assert.Equal(("AlreadyAcknowledged", "dave@example.com"), (repeated.Body.GetProperty("outcome").GetString(), repeated.Body.GetProperty("by").GetString()));
        Assert.Equal(accepted.Body.GetProperty("at").GetDateTimeOffset(), repeated.Body.GetProperty("at").GetDateTimeOffset());
        using var after = await serve.Http.GetAsync("/api/health");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal("ok", JsonDocument.Parse(await after.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
    }
}
