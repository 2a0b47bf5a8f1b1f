namespace FsAudit.Host.Daemon;

/// <summary>Files in the state directory that must survive a crash whole: written to a temp file, then renamed.</summary>
internal static class StateFile
{
    public static void WriteLines(string path, IEnumerable<string> lines)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var tmp = path + ".tmp";
        File.WriteAllLines(tmp, lines);
        File.Move(tmp, path, overwrite: true);
    }

    public static void Delete(string path)
    {
        if (File.Exists(path)) File.Delete(path);
    }
}
