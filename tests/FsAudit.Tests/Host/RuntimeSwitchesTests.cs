using System.Text;
using FsAudit.Host.Daemon;
using Xunit;

namespace FsAudit.Tests.Host;

/// <summary>
/// What the daemon re-executes itself with: the argument vector from /proc/self/cmdline unchanged, and only the runtime
/// switches the environment does not set already.
/// </summary>
public sealed class RuntimeSwitchesTests
{
    [Fact]
    public void Splits_the_NUL_separated_command_line_keeping_empty_and_non_ASCII_arguments()
    {
        var bytes = Encoding.UTF8.GetBytes("dotnet\0/opt/fsaudit.dll\0run\0--watch\0/srv/données\0\0--stdout\0");
        Assert.Equal(["dotnet", "/opt/fsaudit.dll", "run", "--watch", "/srv/données", "", "--stdout"],
            RuntimeSwitches.SplitCommandLine(bytes));
    }

    [Fact]
    public void An_empty_command_line_gives_no_arguments()
    {
        Assert.Empty(RuntimeSwitches.SplitCommandLine([]));
    }

    [Fact]
    public void This_process_reads_its_own_command_line()
    {
        var argv = RuntimeSwitches.SplitCommandLine(File.ReadAllBytes("/proc/self/cmdline"));
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
            Assert.Equal([Path.Combine(dir, "dotnet-diagnostic-4242-123456-socket")], RuntimeSwitches.DiagnosticSockets(dir, 4242));
            Assert.Empty(RuntimeSwitches.DiagnosticSockets(Path.Combine(dir, "missing"), 4242));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Adds_every_switch_to_an_environment_that_sets_none()
    {
        var env = new Dictionary<string, string>();
        Assert.Equal(["DOTNET_ReadyToRun=0", "DOTNET_GCgen0size=0x1000000"], RuntimeSwitches.Missing(env.GetValueOrDefault));
    }

    [Theory]
    [InlineData("DOTNET_GCgen0size", "0x4000000")]
    [InlineData("COMPlus_GCgen0size", "0x4000000")]
    public void A_switch_set_under_either_name_is_left_as_set(string variable, string value)
    {
        var env = new Dictionary<string, string> { [variable] = value };
        Assert.Equal(["DOTNET_ReadyToRun=0"], RuntimeSwitches.Missing(env.GetValueOrDefault));
        Assert.Equal(value, RuntimeSwitches.Gen0Size.Current(env.GetValueOrDefault));
    }

    [Fact]
    public void Nothing_is_missing_when_the_user_set_every_switch()
    {
        var env = new Dictionary<string, string> { ["DOTNET_ReadyToRun"] = "1", ["COMPlus_GCgen0size"] = "0" };
        Assert.Empty(RuntimeSwitches.Missing(env.GetValueOrDefault));
    }
}
