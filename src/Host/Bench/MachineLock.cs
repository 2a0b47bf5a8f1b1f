namespace FsAudit.Host.Bench;

/// <summary>
/// The machine-wide kernel lock shared with the kernel tests (KernelStateGuard) and <c>flock(1)</c>: there is
/// one audit configuration and one daemon slot per machine, so kernel users in different processes take turns.
/// </summary>
public static class MachineLock
{
    public const string Path = "/run/lock/fsaudit-kernel.lock";

    /// <summary>Blocks (polling) until the lock is free; the returned stream holds it until disposed.</summary>
    public static FileStream Acquire(TimeSpan timeout, Action? onWait, CancellationToken ct)
    {
        string dir = System.IO.Path.GetDirectoryName(Path)!;
        string path = Directory.Exists(dir) ? Path : System.IO.Path.Combine(System.IO.Path.GetTempPath(), "fsaudit-kernel.lock");
        var deadline = DateTime.UtcNow + timeout;
        bool told = false;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            // FileShare.None makes .NET take flock(LOCK_EX|LOCK_NB): the lock flock(1) and the kernel tests take.
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                if (!told) onWait?.Invoke();
                told = true;
                ct.WaitHandle.WaitOne(200);
            }
            catch (IOException e)
            {
                throw new BenchException($"{path} stayed locked for {timeout.TotalMinutes:0.#} min (kernel tests or another bench)", e);
            }
        }
    }
}
