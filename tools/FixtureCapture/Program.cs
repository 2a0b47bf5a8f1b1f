using FsAudit.Tools.FixtureCapture;

// Captures real kernel audit records for a scripted set of file operations and writes the
// kernel-ops.* fixtures. Run as root on a machine where no other audit daemon is registered:
//   dotnet run --project tools/FixtureCapture -- [OUTPUT_DIR]
// OUTPUT_DIR defaults to tests/FsAudit.Tests/fixtures of the repository containing the working directory.
try
{
    string output = args.Length > 0 ? args[0] : Capture.DefaultOutputDirectory();
    var result = Capture.Run(output, Console.Out);
    return result;
}
catch (Exception e)
{
    Console.Error.WriteLine($"fixture capture failed: {e.Message}");
    return 1;
}
