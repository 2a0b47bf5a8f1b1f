namespace FsAudit.Host.Daemon;

/// <summary>Concise structured log lines on stderr: <c>TIME LEVEL message key=value ...</c>.</summary>
public static class Log
{
    public static TextWriter Writer { get; set; } = Console.Error;
    private static readonly Lock Gate = new();

    public static void Info(string message) => Write("INFO", message);
    public static void Warn(string message) => Write("WARN", message);
    public static void Error(string message) => Write("ERROR", message);

    private static void Write(string level, string message)
    {
        lock (Gate)
        {
            Writer.WriteLine($"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {level,-5} {message}");
            Writer.Flush();
        }
    }
}
