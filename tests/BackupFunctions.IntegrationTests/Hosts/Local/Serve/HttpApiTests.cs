using System.Net;
using System.Text;
using System.Text.Json;
using BackupFunctions.IntegrationTests.Infrastructure;

namespace BackupFunctions.IntegrationTests.Hosts.Local.Serve;

/// <summary>The local host's HTTP routes end to end: real Kestrel, PostgreSQL and Azurite.</summary>
public class HttpApiTests
{
    private const string Table = "CREATE TABLE t(id int PRIMARY KEY, v text); INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 3000) g;";

    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<JsonElement> PollAsync(HttpClient http, string location)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (true)
        {
            using var doc = JsonDocument.Parse(await http.GetStringAsync(location));
            if (doc.RootElement.GetProperty("status").GetString() != "Running" || DateTime.UtcNow > deadline)
            {
                return doc.RootElement.Clone();
            }

            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task PostBackup_PollToCompletion_HealthShowsTheFreshBackup_DuplicateJoins()
    {
        await using var db = await TestDatabase.CreateAsync("http", Table);
        await using var serve = await ServeFixture.StartAsync(new() { ["orders"] = TestVault.Postgres(db.Connection) });

        var first = await serve.Http.PostAsync("/api/backups", Body("""{"targets":["orders"]}"""));
        var second = await serve.Http.PostAsync("/api/backups", Body("""{"targets":["orders"]}"""));

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        string location = first.Headers.Location!.OriginalString;
        Assert.StartsWith("/api/runs/run-", location, StringComparison.Ordinal);
        using (var dup = JsonDocument.Parse(await second.Content.ReadAsStringAsync()))
        {
            Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
            Assert.Equal(location, second.Headers.Location!.OriginalString);
            Assert.False(dup.RootElement.GetProperty("started").GetBoolean());
        }

        var run = await PollAsync(serve.Http, location);
        Assert.Equal("Completed", run.GetProperty("status").GetString());
        var target = run.GetProperty("report").GetProperty("targets")[0];
        string backupId = target.GetProperty("backupId").GetString()!;
        Assert.True(target.GetProperty("restoreTestPassed").GetBoolean());
        // Only one backup was made for the two requests.
        using var catalog = JsonDocument.Parse(await serve.Http.GetStringAsync("/api/backups?target=orders"));
        Assert.Equal(1, catalog.RootElement.GetArrayLength());

        using var response = await serve.Http.GetAsync("/api/health");
        using var health = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var orders = health.RootElement.GetProperty("targets")[0];
        Assert.Equal("ok", orders.GetProperty("status").GetString());
        Assert.Equal(backupId, orders.GetProperty("lastGoodBackup").GetString());
        Assert.Equal(backupId, orders.GetProperty("lastPassedRestoreTest").GetString());
        Assert.True(orders.GetProperty("ageHours").GetDouble() < 0.1);
    }

    [Theory]
    [InlineData("{\"targets\":", "not valid JSON")]
    [InlineData("[1,2]", "must be a JSON object")]
    [InlineData("{\"targets\":\"orders\"}", "must be an array")]
    [InlineData("{\"targets\":[\"nope\"]}", "unknown target 'nope'")]
    public async Task PostBackup_BadRequest_Is400WithAReason(string body, string reason)
    {
        await using var serve = await ServeFixture.StartAsync(new() { ["orders"] = TestVault.Postgres(TestServers.Pg("postgres")) });

        var response = await serve.Http.PostAsync("/api/backups", Body(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Contains(reason, doc.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApiKey_WhenConfigured_IsRequiredOnEveryRoute()
    {
        await using var serve = await ServeFixture.StartAsync(new() { ["orders"] = TestVault.Postgres(TestServers.Pg("postgres")) }, apiKey: "k-123");

        var without = await serve.Http.GetAsync("/api/health");
        var wrong = await serve.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/health") { Headers = { { "x-api-key", "k-124" } } });
        var right = await serve.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/health") { Headers = { { "x-api-key", "k-123" } } });

        Assert.Equal(HttpStatusCode.Unauthorized, without.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        // With the key the route answers: 503, because "orders" was never backed up (missing).
        Assert.Equal(HttpStatusCode.ServiceUnavailable, right.StatusCode);
        Assert.Equal("missing", JsonDocument.Parse(await right.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Health_TargetNeverBackedUp_IsMissing_Answers503_AndUnknownRunIs404()
    {
        await using var serve = await ServeFixture.StartAsync(new() { ["orders"] = TestVault.Postgres(TestServers.Pg("postgres")) });

        using var response = await serve.Http.GetAsync("/api/health");
        using var health = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var missing = await serve.Http.GetAsync("/api/runs/run-20200101T000000Z-0000");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode); // an uptime probe alerts
        Assert.Equal("missing", health.RootElement.GetProperty("status").GetString());
        Assert.Equal("missing", health.RootElement.GetProperty("targets")[0].GetProperty("status").GetString());
        Assert.Equal("never backed up", health.RootElement.GetProperty("targets")[0].GetProperty("reason").GetString());
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
