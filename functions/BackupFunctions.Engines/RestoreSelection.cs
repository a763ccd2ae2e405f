namespace BackupFunctions.Engines;

/// <summary>One way a restore can select part of a backup, named as the CLI names it.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<RestoreFilter>))]
public enum RestoreFilter
{
    /// <summary>PostgreSQL: pg_restore --table.</summary>
    Table,

    /// <summary>PostgreSQL: pg_restore --schema.</summary>
    Schema,

    /// <summary>PostgreSQL: pg_restore --schema-only.</summary>
    SchemaOnly,

    /// <summary>PostgreSQL: pg_restore --data-only.</summary>
    DataOnly,

    /// <summary>Redis: one database of the dump.</summary>
    Database,

    /// <summary>Redis: keys matching a glob pattern.</summary>
    Match,
}

/// <summary>
/// Part of a backup to restore instead of all of it. Each engine honours the filters it lists in
/// <see cref="IDatabaseEngine.RestoreFilters"/>; the restore refuses any other before it starts.
/// </summary>
public sealed record RestoreSelection(IReadOnlyList<string>? Tables = null, IReadOnlyList<string>? Schemas = null,
    bool SchemaOnly = false, bool DataOnly = false, int? Database = null, string? Match = null)
{
    /// <summary>The filters given, in a stable order.</summary>
    public IReadOnlyList<RestoreFilter> Filters
    {
        get
        {
            var given = new List<RestoreFilter>();
            if (Tables is { Count: > 0 })
            {
                given.Add(RestoreFilter.Table);
            }

            if (Schemas is { Count: > 0 })
            {
                given.Add(RestoreFilter.Schema);
            }

            if (SchemaOnly)
            {
                given.Add(RestoreFilter.SchemaOnly);
            }

            if (DataOnly)
            {
                given.Add(RestoreFilter.DataOnly);
            }

            if (Database is not null)
            {
                given.Add(RestoreFilter.Database);
            }

            if (Match is not null)
            {
                given.Add(RestoreFilter.Match);
            }

            return given;
        }
    }

    /// <summary>True when nothing is selected: the whole backup is restored.</summary>
    public bool IsEmpty => Filters.Count == 0;

    /// <summary>The CLI option of a filter, e.g. "--schema-only".</summary>
    public static string Option(RestoreFilter filter) => filter switch
    {
        RestoreFilter.Table => "--table",
        RestoreFilter.Schema => "--schema",
        RestoreFilter.SchemaOnly => "--schema-only",
        RestoreFilter.DataOnly => "--data-only",
        RestoreFilter.Database => "--db",
        _ => "--match",
    };

    /// <summary>
    /// Why <paramref name="engine"/> cannot restore this selection (one line naming what it supports); null when it can.
    /// </summary>
    public string? Unsupported(IDatabaseEngine engine)
    {
        var refused = Filters.Where(f => !engine.RestoreFilters.Contains(f)).Select(Option).ToList();
        if (refused.Count == 0)
        {
            return SchemaOnly && DataOnly ? "--schema-only and --data-only cannot be used together (give one of them)" : null;
        }

        string supported = engine.RestoreFilters.Count == 0
            ? "it restores whole backups only"
            : $"it supports {string.Join(", ", engine.RestoreFilters.Select(Option))}";
        return $"{engine.Name} restores cannot take {string.Join(", ", refused)}: {supported}";
    }
}
