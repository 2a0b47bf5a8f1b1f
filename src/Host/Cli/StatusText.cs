using System.Text.Json;

namespace FsAudit.Host.Cli;

/// <summary>Renders a status JSON object as indented <c>key: value</c> lines for people.</summary>
internal static class StatusText
{
    public static void Write(TextWriter output, string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        if (root.TryGetProperty("daemon_running", out var running) && running.ValueKind == JsonValueKind.False)
            output.WriteLine($"no fsaudit daemon is running (nothing answers on {root.GetProperty("socket").GetString()})");
        foreach (var p in root.EnumerateObject())
        {
            if (p.Name is "type" or "daemon_running" or "socket") continue;
            Write(output, p.Name, p.Value, 0);
        }
    }

    private static void Write(TextWriter output, string name, JsonElement value, int depth)
    {
        string indent = new(' ', depth * 2);
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                output.WriteLine($"{indent}{name}:");
                foreach (var p in value.EnumerateObject()) Write(output, p.Name, p.Value, depth + 1);
                break;
            case JsonValueKind.Array:
                output.WriteLine($"{indent}{name}: {(value.GetArrayLength() == 0 ? "none" : "")}");
                foreach (var item in value.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.Object) Write(output, "-", item, depth + 1);
                    else output.WriteLine($"{indent}  - {Scalar(item)}");
                }
                break;
            default:
                output.WriteLine($"{indent}{name}: {Scalar(value)}");
                break;
        }
    }

    private static string Scalar(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => v.GetString() ?? "",
        JsonValueKind.Null => "-",
        _ => v.GetRawText(),
    };
}
