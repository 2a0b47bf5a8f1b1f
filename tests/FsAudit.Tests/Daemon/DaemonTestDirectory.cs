namespace FsAudit.Tests.Daemon;

/// <summary>A temp directory per test for the daemon's config, state, socket and watched trees; removed after.</summary>
public abstract class DaemonTestDirectory : IDisposable
{
    protected string Dir { get; } = Directory.CreateTempSubdirectory("fsaudit-test-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
        GC.SuppressFinalize(this);
    }
}
