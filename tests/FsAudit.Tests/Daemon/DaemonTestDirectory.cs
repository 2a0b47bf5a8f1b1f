namespace FsAudit.Tests.Daemon;

/// <summary>A temp directory per test for the daemon's config, state, socket and watched trees; removed after.</summary>
public abstract class DaemonTestDirectory : IDisposable
{
    protected string Dir { get; } = Directory.CreateTempSubdirectory("fsaudit-test-").FullName;

    /// <summary>
    /// A directory <paramref name="name"/> under <see cref="Dir"/> and a daemon config that watches it with
    /// <paramref name="key"/> (and <paramref name="perm"/>; null = the default), plus <paramref name="extra"/> HOCON.
    /// </summary>
    protected (string Watched, string Config) WatchedConfig(string name, string key, string? perm = "wa", string extra = "")
    {
        string watched = Directory.CreateDirectory(Path.Combine(Dir, name)).FullName;
        string perms = perm is null ? "" : $", perm = {perm}";
        return (watched, DaemonProcess.WriteConfig(Dir, $"fsaudit.watches = [ {{ path = \"{watched}\"{perms}, key = {key} }} ]\n{extra}"));
    }

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
        GC.SuppressFinalize(this);
    }
}
