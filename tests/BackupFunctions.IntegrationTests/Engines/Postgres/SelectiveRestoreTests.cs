using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using BackupFunctions.Engines;
using BackupFunctions.IntegrationTests.Infrastructure;

namespace BackupFunctions.IntegrationTests.Engines.Postgres;

/// <summary>
/// Selective restore (pg_restore's --table, --schema, --schema-only; --data-only) of the rich fixture through the
/// restore activity: into new databases, and into an existing one only when none of the selected objects is there
/// (the refusal names them), or with --replace, which replaces those objects and keeps the rest.
/// </summary>
public class SelectiveRestoreTests
{
    private const string Schema = "ventas_ñ";

    private static async Task<(TestDatabase Source, TestVault Vault, string Id)> BackupRichAsync(Dictionary<string, string> destinations)
    {
        var source = await TestDatabase.CreateAsync("sel_src", RichDatabase.Sql);
        var targets = new Dictionary<string, TargetOptions> { ["src"] = TestVault.Postgres(source.Connection) };
        foreach (var (name, connection) in destinations)
        {
            targets[name] = TestVault.Postgres(connection);
        }

        var vault = await TestVault.CreateAsync(targets);
        string id = (await vault.Runtime.BackupDatabaseActivity().RunAsync(new BackupDatabaseInput("src"), null, CancellationToken.None)).BackupId;
        return (source, vault, id);
    }

    private static Task<RestoreDatabaseOutput> RestoreAsync(TestVault vault, string id, string destination, RestoreSelection selection, bool replace = false) =>
        vault.Runtime.RestoreDatabaseActivity().RunAsync(new RestoreDatabaseInput(id, destination, replace, SafetyBackup: false, Selection: selection), null, CancellationToken.None);

    private static Task<List<string>> TablesAsync(string database) => TestServers.ColumnAsync(database, """
        SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1
        """);

    [Fact]
    public async Task SchemaTablesAndSchemaOnly_IntoNewDatabases_RestoreExactlyTheSelection()
    {
        await using var bySchema = TestDatabase.Named("sel_schema");
        await using var byTable = TestDatabase.Named("sel_table");
        await using var schemaOnly = TestDatabase.Named("sel_ddl");
        var (source, vault, id) = await BackupRichAsync(new() { ["schema"] = bySchema.Connection, ["table"] = byTable.Connection, ["ddl"] = schemaOnly.Connection });
        await using var _ = source;
        await using var __ = vault;

        var schema = await RestoreAsync(vault, id, "schema", new RestoreSelection(Schemas: [Schema]));
        Assert.True(schema.CountsMatch, schema.Detail);
        Assert.Equal([$"{Schema}.pedido"], await TablesAsync(bySchema.Name));
        Assert.Equal(500, await TestServers.ScalarAsync<long>(bySchema.Name, $"SELECT count(*) FROM \"{Schema}\".pedido"));

        var tables = await RestoreAsync(vault, id, "table", new RestoreSelection(Tables: ["measurements_2025", "empty_table"]));
        Assert.True(tables.CountsMatch, tables.Detail);
        Assert.Equal(["public.empty_table", "public.measurements_2025"], await TablesAsync(byTable.Name));
        Assert.Equal(await TestServers.ScalarAsync<long>(source.Name, "SELECT count(*) FROM measurements_2025"),
            await TestServers.ScalarAsync<long>(byTable.Name, "SELECT count(*) FROM measurements_2025"));

        var ddl = await RestoreAsync(vault, id, "ddl", new RestoreSelection(SchemaOnly: true));
        Assert.True(ddl.CountsMatch, ddl.Detail);
        Assert.Equal(await TablesAsync(source.Name), await TablesAsync(schemaOnly.Name));
        Assert.Equal(0, await TestServers.ScalarAsync<long>(schemaOnly.Name, "SELECT count(*) FROM \"Kunden_ü\""));
        Assert.Equal(0, await TestServers.ScalarAsync<long>(schemaOnly.Name, "SELECT count(*) FROM measurements"));
    }

    [Fact]
    public async Task IntoAnExistingDatabase_OnlyWhenNoneOfTheSelectionExists_ElseRefusedNamingThem_AndReplaceKeepsTheRest()
    {
        await using var destination = await TestDatabase.CreateAsync("sel_dst", "CREATE TABLE precious(x text); INSERT INTO precious VALUES ('keep me');");
        var (source, vault, id) = await BackupRichAsync(new() { ["dst"] = destination.Connection });
        await using var _ = source;
        await using var __ = vault;

        var joined = await RestoreAsync(vault, id, "dst", new RestoreSelection(Schemas: [Schema]));
        Assert.True(joined.CountsMatch, joined.Detail);
        Assert.Equal(500, await TestServers.ScalarAsync<long>(destination.Name, $"SELECT count(*) FROM \"{Schema}\".pedido"));
        Assert.Equal("keep me", await TestServers.ScalarAsync<string>(destination.Name, "SELECT x FROM precious"));

        await TestServers.ExecuteAsync(destination.Name, $"DELETE FROM \"{Schema}\".pedido WHERE id > 10");
        var refused = await Assert.ThrowsAsync<EngineException>(() => RestoreAsync(vault, id, "dst", new RestoreSelection(Schemas: [Schema])));
        Assert.Equal(FailureKind.Refused, refused.Kind);
        Assert.Contains($"{Schema}.pedido", refused.Message, StringComparison.Ordinal);
        Assert.Contains("already exist", refused.Message, StringComparison.Ordinal);
        Assert.Contains("--replace", refused.Message, StringComparison.Ordinal);
        Assert.Equal(10, await TestServers.ScalarAsync<long>(destination.Name, $"SELECT count(*) FROM \"{Schema}\".pedido"));

        var replaced = await RestoreAsync(vault, id, "dst", new RestoreSelection(Schemas: [Schema]), replace: true);
        Assert.True(replaced.CountsMatch, replaced.Detail);
        Assert.Equal(500, await TestServers.ScalarAsync<long>(destination.Name, $"SELECT count(*) FROM \"{Schema}\".pedido"));
        Assert.Equal("keep me", await TestServers.ScalarAsync<string>(destination.Name, "SELECT x FROM precious"));
        Assert.Equal(0, await TestServers.ScalarAsync<long>(destination.Name, "SELECT count(*) FROM pg_class WHERE relname = 'Kunden_ü'"));
    }

    [Fact]
    public async Task DataOnly_FillsExistingEmptyTables_RefusesTablesWithRows_AndReplaceTruncatesThem()
    {
        await using var destination = await TestDatabase.CreateAsync("sel_data", "CREATE TABLE precious(x text); INSERT INTO precious VALUES ('keep me');");
        var (source, vault, id) = await BackupRichAsync(new() { ["dst"] = destination.Connection });
        await using var _ = source;
        await using var __ = vault;
        var tables = new[] { "measurements_2025", "measurements_2026" };

        var missing = await Assert.ThrowsAsync<EngineException>(() => RestoreAsync(vault, id, "dst", new RestoreSelection(Tables: tables, DataOnly: true)));
        Assert.Contains("has no public.measurements_2025, public.measurements_2026", missing.Message, StringComparison.Ordinal);

        Assert.True((await RestoreAsync(vault, id, "dst", new RestoreSelection(Tables: tables, SchemaOnly: true))).CountsMatch);
        Assert.Equal(0, await TestServers.ScalarAsync<long>(destination.Name, "SELECT count(*) FROM measurements_2025"));

        var filled = await RestoreAsync(vault, id, "dst", new RestoreSelection(Tables: tables, DataOnly: true));
        Assert.True(filled.CountsMatch, filled.Detail);
        long rows = await TestServers.ScalarAsync<long>(source.Name, "SELECT count(*) FROM measurements_2025");
        Assert.Equal(rows, await TestServers.ScalarAsync<long>(destination.Name, "SELECT count(*) FROM measurements_2025"));

        await TestServers.ExecuteAsync(destination.Name, "INSERT INTO measurements_2025 VALUES (-1, '2025-02-02', 0)");
        var refused = await Assert.ThrowsAsync<EngineException>(() => RestoreAsync(vault, id, "dst", new RestoreSelection(Tables: tables, DataOnly: true)));
        Assert.Equal(FailureKind.Refused, refused.Kind);
        Assert.Contains("public.measurements_2025, public.measurements_2026 already hold rows", refused.Message, StringComparison.Ordinal);

        var replaced = await RestoreAsync(vault, id, "dst", new RestoreSelection(Tables: tables, DataOnly: true), replace: true);
        Assert.True(replaced.CountsMatch, replaced.Detail);
        Assert.Equal(rows, await TestServers.ScalarAsync<long>(destination.Name, "SELECT count(*) FROM measurements_2025"));
        Assert.Equal("keep me", await TestServers.ScalarAsync<string>(destination.Name, "SELECT x FROM precious"));

        var both = await Assert.ThrowsAsync<BackupConfigurationException>(() =>
            RestoreAsync(vault, id, "dst", new RestoreSelection(SchemaOnly: true, DataOnly: true)));
        Assert.Contains("cannot be used together", both.Message, StringComparison.Ordinal);
        var redisOption = await Assert.ThrowsAsync<BackupConfigurationException>(() =>
            RestoreAsync(vault, id, "dst", new RestoreSelection(Match: "user:*")));
        Assert.Equal("postgres restores cannot take --match: it supports --table, --schema, --schema-only, --data-only", redisOption.Message);
    }
}
