namespace BackupFunctions.Engines.Neo4j;

/// <summary>
/// Every Cypher statement the Neo4j engine sends, in one place (the labelled fake server in the
/// tests answers exactly these). Paging is keyset paging on element ids.
/// </summary>
public static class Neo4jStatements
{
    /// <summary>Temporary label and property that carry each node's original element id during a restore.</summary>
    public const string RestoreLabel = "__BackupfnRestore";
    public const string RestoreProperty = "__backupfn_id";
    public const string RestoreIndex = "backupfn_restore_id";

    public const string NodeCount = "MATCH (n) RETURN count(n) AS count";
    public const string LabelCounts = "MATCH (n) UNWIND labels(n) AS label RETURN label, count(*) AS count";
    public const string TypeCounts = "MATCH ()-[r]->() RETURN type(r) AS type, count(*) AS count";
    public const string Constraints = "SHOW CONSTRAINTS YIELD name, createStatement RETURN name, createStatement";
    public const string Indexes = "SHOW INDEXES YIELD name, type, owningConstraint, createStatement WHERE owningConstraint IS NULL AND type <> 'LOOKUP' RETURN name, createStatement";
    public const string Version = "CALL dbms.components() YIELD versions, edition RETURN versions[0] AS version, edition";

    public const string NodesPage =
        "MATCH (n) WHERE elementId(n) > $after RETURN elementId(n) AS id, labels(n) AS labels, properties(n) AS properties ORDER BY id LIMIT $limit";

    public const string RelationshipsPage =
        "MATCH ()-[r]->() WHERE elementId(r) > $after RETURN elementId(r) AS id, type(r) AS type, elementId(startNode(r)) AS start, elementId(endNode(r)) AS end, properties(r) AS properties ORDER BY id LIMIT $limit";

    public const string DeleteBatch = "MATCH (n) WITH n LIMIT $limit DETACH DELETE n RETURN count(*) AS count";
    public const string DeleteRestoredBatch = $"MATCH (n:{RestoreLabel}) WITH n LIMIT $limit DETACH DELETE n RETURN count(*) AS count";
    public const string CreateRestoreIndex = $"CREATE INDEX {RestoreIndex} IF NOT EXISTS FOR (n:{RestoreLabel}) ON (n.{RestoreProperty})";
    public const string DropRestoreIndex = $"DROP INDEX {RestoreIndex} IF EXISTS";
    public const string CleanupBatch = $"MATCH (n:{RestoreLabel}) WITH n LIMIT $limit REMOVE n:{RestoreLabel} REMOVE n.{RestoreProperty} RETURN count(*) AS count";

    public const string Sample =
        $"UNWIND $ids AS id MATCH (n:{RestoreLabel} {{{RestoreProperty}: id}}) RETURN id, labels(n) AS labels, properties(n) AS properties";

    /// <summary>Creates a batch of nodes that share one set of labels.</summary>
    public static string CreateNodes(IEnumerable<string> labels) =>
        $"UNWIND $rows AS row CREATE (n:{RestoreLabel}{string.Concat(labels.Select(l => ":" + Quote(l)))} {{{RestoreProperty}: row.id}}) SET n += row.properties";

    /// <summary>Creates a batch of relationships of one type between restored nodes.</summary>
    public static string CreateRelationships(string type) =>
        $"UNWIND $rows AS row MATCH (a:{RestoreLabel} {{{RestoreProperty}: row.start}}) MATCH (b:{RestoreLabel} {{{RestoreProperty}: row.end}}) CREATE (a)-[r:{Quote(type)}]->(b) SET r = row.properties";

    public static string DropConstraint(string name) => $"DROP CONSTRAINT {Quote(name)} IF EXISTS";

    public static string DropIndex(string name) => $"DROP INDEX {Quote(name)} IF EXISTS";

    /// <summary>A label, type or name as a Cypher identifier: in backticks, inner backticks doubled.</summary>
    public static string Quote(string identifier) => $"`{identifier.Replace("`", "``", StringComparison.Ordinal)}`";
}
