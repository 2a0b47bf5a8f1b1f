using System.Text;
using FsAudit.Host.Daemon;
using Xunit;

namespace FsAudit.Tests.Host;

/// <summary>The argument vector the daemon re-executes itself with comes from /proc/self/cmdline unchanged.</summary>
public sealed class ReadyToRunSwitchTests
{
    [Fact]
    public void Splits_the_NUL_separated_command_line_keeping_empty_and_non_ASCII_arguments()
    {
        var bytes = Encoding.UTF8.GetBytes("dotnet\0/opt/fsaudit.dll\0run\0--watch\0/srv/données\0\0--stdout\0");
        Assert.Equal(["dotnet", "/opt/fsaudit.dll", "run", "--watch", "/srv/données", "", "--stdout"],
            ReadyToRunSwitch.SplitCommandLine(bytes));
    }

    [Fact]
    public void An_empty_command_line_gives_no_arguments()
    {
        Assert.Empty(ReadyToRunSwitch.SplitCommandLine([]));
    }

    [Fact]
    public void This_process_reads_its_own_command_line()
    {
        var argv = ReadyToRunSwitch.SplitCommandLine(File.ReadAllBytes("/proc/self/cmdline"));
        Assert.NotEmpty(argv);
        Assert.Equal(Environment.GetCommandLineArgs()[^1], argv[^1]);
    }

    [Fact]
    public void Finds_only_the_diagnostic_sockets_of_the_given_process()
    {
        var dir = Directory.CreateTempSubdirectory("fsaudit-diag-").FullName;
        try
        {
            foreach (var name in new[] { "dotnet-diagnostic-4242-123456-socket", "dotnet-diagnostic-42421-123456-socket",
                         "dotnet-diagnostic-424-123456-socket", "dotnet-diagnostic-4242-123456-socket.bak", "other-4242-socket" })
                File.WriteAllText(Path.Combine(dir, name), "");
            Assert.Equal([Path.Combine(dir, "dotnet-diagnostic-4242-123456-socket")], ReadyToRunSwitch.DiagnosticSockets(dir, 4242));
            Assert.Empty(ReadyToRunSwitch.DiagnosticSockets(Path.Combine(dir, "missing"), 4242));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
