using BackupFunctions.Activities.Configuration;
using BackupFunctions.Activities.Health;

namespace BackupFunctions.Orchestrations.Intake;

/// <summary>Targets whose schedule fell due at one instant.</summary>
public sealed record DueSlot(DateTime At, IReadOnlyList<string> Targets);

/// <summary>
/// The one due-targets decision of both hosts: one frequent timer ticks, and each tick starts the
/// targets whose own schedule (Targets:NAME:Schedule, else Backup:Schedule) had an occurrence since
/// the previous tick. So the timer and the health check read lateness from the same schedules.
/// </summary>
public static class DueTargets
{
    /// <summary>Slots with an occurrence in (<paramref name="after"/>, <paramref name="upTo"/>] (UTC), oldest first; only the latest slot per schedule.</summary>
    public static IReadOnlyList<DueSlot> Between(BackupOptions options, DateTime after, DateTime upTo)
    {
        var slots = new SortedDictionary<DateTime, List<string>>();
        foreach (var (name, target) in options.Targets.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            var schedule = Schedules.Parse(target.Schedule ?? options.Schedule);
            DateTime? last = null;
            foreach (var at in schedule.GetNextOccurrences(after, upTo.AddTicks(1)))
            {
                last = at; // a host that slept through several occurrences runs once, not once per missed slot
            }

            if (last is { } slot)
            {
                if (!slots.TryGetValue(slot, out var list))
                {
                    slots[slot] = list = [];
                }

                list.Add(name);
            }
        }

        return slots.Select(s => new DueSlot(DateTime.SpecifyKind(s.Key, DateTimeKind.Utc), s.Value)).ToList();
    }

    /// <summary>The next instant any target falls due after <paramref name="after"/>.</summary>
    public static DateTime Next(BackupOptions options, DateTime after) =>
        options.Targets.Values.Select(t => t.Schedule ?? options.Schedule).Distinct(StringComparer.Ordinal)
            .Select(s => Schedules.Parse(s).GetNextOccurrence(after)).DefaultIfEmpty(after.AddHours(1)).Min();
}
