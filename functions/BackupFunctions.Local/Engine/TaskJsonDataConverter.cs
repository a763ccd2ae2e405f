using System.Text.Json;
using BackupFunctions.Activities.Backups;
using DurableTask.Core.Serializing;

namespace BackupFunctions.Local.Engine;

/// <summary>
/// DurableTask.Core's client writes orchestration inputs with this converter; the shims read them
/// with Microsoft.DurableTask's converter over the same <see cref="TaskJson.Options"/>. Core's
/// default (Newtonsoft) would write what the shims cannot read back the same way.
/// </summary>
internal sealed class TaskJsonDataConverter : DataConverter
{
    public static TaskJsonDataConverter Instance { get; } = new();

    public override string? Serialize(object value) => value is null ? null : JsonSerializer.Serialize(value, value.GetType(), TaskJson.Options);

    public override string? Serialize(object value, bool formatted) => Serialize(value);

    public override object? Deserialize(string data, Type objectType) =>
        data is null ? null : JsonSerializer.Deserialize(data, objectType, TaskJson.Options);
}
