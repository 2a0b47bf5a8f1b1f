using System.Reflection;
using Akka.Configuration;

namespace FsAudit.Host.Configuration;

/// <summary>
/// Loads the shipped defaults (embedded hocon/*.conf) with an optional user file merged over them,
/// then validates the <c>fsaudit</c> section against <see cref="ConfigSchema"/>.
/// </summary>
public static class ConfigLoader
{
    public static string EmbeddedText(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new ConfigException($"embedded configuration '{name}' is missing from the build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static Config Defaults() => Parse(EmbeddedText("fsaudit.conf"), "embedded fsaudit.conf");

    /// <summary>Loads defaults and, when given, the user file (which only needs the keys it changes).</summary>
    public static FsAuditSettings Load(string? userFile = null)
    {
        var config = Defaults();
        if (userFile != null)
        {
            string text;
            try { text = File.ReadAllText(userFile); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ConfigException($"cannot read config file {userFile}: {e.Message}");
            }
            config = Parse(text, userFile).WithFallback(config);
        }
        return ConfigSchema.Bind(config);
    }

    public static FsAuditSettings LoadText(string userText) =>
        ConfigSchema.Bind(Parse(userText, "config").WithFallback(Defaults()));

    /// <summary>
    /// Akka's HOCON parser accepts some malformed input silently (unbalanced brackets), so the
    /// structure is checked first; includes resolve against the embedded files only.
    /// </summary>
    public static Config Parse(string text, string origin)
    {
        HoconSyntaxCheck.Check(text, origin);
        try
        {
            return ConfigurationFactory.ParseString(text, name =>
                Akka.Configuration.Hocon.Parser.Parse(EmbeddedText(name.Trim('"')), null));
        }
        catch (ConfigException) { throw; }
        catch (Exception e)
        {
            throw new ConfigException($"{origin}: {e.Message}");
        }
    }
}
