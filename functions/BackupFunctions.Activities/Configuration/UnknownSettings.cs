using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace BackupFunctions.Activities.Configuration;

/// <summary>
/// Keys in a configuration section that no property of the options type binds. The binder skips
/// them silently, so a misspelt <c>Retension</c> would leave the default policy in force. Its own
/// ErrorOnUnknownConfiguration names the key but not the one meant, hence this walk, which follows
/// the binder's rules: case-insensitive names, dictionary keys free, list keys numeric.
/// </summary>
public static class UnknownSettings
{
    /// <summary>One problem per unknown key, naming its full path and the nearest valid key when one is close.</summary>
    public static IReadOnlyList<string> Find(IConfigurationSection section, Type optionsType)
    {
        var problems = new List<string>();
        Walk(section, optionsType, problems);
        return problems;
    }

    private static void Walk(IConfigurationSection section, Type type, List<string> problems)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        var children = section.GetChildren().ToList();
        if (children.Count == 0)
        {
            return;
        }

        if (IsValue(type))
        {
            foreach (var child in children)
            {
                problems.Add($"{child.Path} is not a known setting ({section.Path} takes a value, not a section)");
            }
        }
        else if (DictionaryValueType(type) is { } valueType)
        {
            foreach (var child in children)
            {
                Walk(child, valueType, problems);
            }
        }
        else if (ElementType(type) is { } elementType)
        {
            foreach (var child in children)
            {
                if (int.TryParse(child.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    Walk(child, elementType, problems);
                }
                else
                {
                    problems.Add($"{child.Path} is not a known setting ({section.Path} is a list: its keys are 0, 1, 2, ...)");
                }
            }
        }
        else
        {
            var settings = Settings(type);
            foreach (var child in children)
            {
                if (settings.TryGetValue(child.Key, out var property))
                {
                    Walk(child, property.PropertyType, problems);
                }
                else
                {
                    problems.Add($"{child.Path} is not a known setting ({Suggestion(child.Key, settings.Keys)})");
                }
            }
        }
    }

    /// <summary>What the binder binds: public readable properties that are settable, or complex ones it fills in place.</summary>
    private static Dictionary<string, PropertyInfo> Settings(Type type)
    {
        var settings = new Dictionary<string, PropertyInfo>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (p.GetMethod?.IsPublic == true && p.GetIndexParameters().Length == 0 && (p.SetMethod?.IsPublic == true || !IsValue(p.PropertyType)))
            {
                settings.TryAdd(p.GetCustomAttribute<ConfigurationKeyNameAttribute>()?.Name ?? p.Name, p);
            }
        }

        return settings;
    }

    /// <summary>A type the binder converts from one string (numbers, strings, enums, TimeSpan, Uri...), so it has no keys below it.</summary>
    private static bool IsValue(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type == typeof(object) || TypeDescriptor.GetConverter(type).CanConvertFrom(typeof(string));
    }

    private static Type? DictionaryValueType(Type type) =>
        (Generic(type, typeof(IDictionary<,>)) ?? Generic(type, typeof(IReadOnlyDictionary<,>)))?[1];

    private static Type? ElementType(Type type) =>
        type.IsArray ? type.GetElementType() : Generic(type, typeof(IEnumerable<>))?[0];

    /// <summary>The type arguments of the first implementation of <paramref name="definition"/> (the type itself counts).</summary>
    private static Type[]? Generic(Type type, Type definition) =>
        (type.IsInterface ? type.GetInterfaces().Prepend(type) : type.GetInterfaces())
            .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == definition)?.GetGenericArguments();

    /// <summary>"did you mean X?" when a sibling is within a typo's reach; otherwise the keys that are valid here.</summary>
    private static string Suggestion(string key, IEnumerable<string> valid)
    {
        var ranked = valid.Select(v => (Key: v, Distance: Distance(key.ToUpperInvariant(), v.ToUpperInvariant()))).OrderBy(c => c.Distance).ToList();
        if (ranked.Count > 0 && ranked[0].Distance <= Math.Max(2, key.Length / 3))
        {
            return $"did you mean {ranked[0].Key}?";
        }

        return $"valid here: {string.Join(", ", valid.Order(StringComparer.Ordinal))}";
    }

    /// <summary>Edit distance counting a swap of neighbours as one edit (optimal string alignment).</summary>
    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (int j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
