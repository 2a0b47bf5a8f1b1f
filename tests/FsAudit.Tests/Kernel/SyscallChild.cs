using System.Diagnostics;
using System.Globalization;
using System.Text;
using FsAudit.Engine.Kernel;

namespace FsAudit.Tests.Kernel;

/// <summary>
/// A child process that performs raw x86_64 syscalls on request, one syscall per call.
/// The kernel never audits the registered audit daemon's own process, so file operations meant to be
/// audited must come from another process: this one is perl (Debian's essential perl-base), using its
/// <c>syscall</c> builtin so each operation maps to exactly one known syscall.
/// </summary>
public sealed class SyscallChild : IDisposable
{
    public const string PerlPath = "/usr/bin/perl";
    public const int AtFdCwd = -100;
    public const int AtRemoveDir = 0x200;
    public const int OWronly = 0x1;
    public const int OCreat = 0x40;
    public const int RenameNoReplace = 1;
    public const int SIfIfo = 0x1000;

    // Reads "NR<TAB>arg..." lines: s:HEX is a string (passed as a NUL-terminated pointer), i:N a number.
    // Answers with the result or -errno. A "go" line only echoes, to start several children together.
    private const string Script = """
        $| = 1;
        while (my $line = <STDIN>) {
            chomp $line;
            if ($line eq 'go') { print "go\n"; next; }
            my ($nr, @args) = split /\t/, $line, -1;
            my @a = map { /^s:(.*)$/s ? pack('H*', $1) : (/^i:(-?\d+)$/ ? $1 + 0 : die "bad arg $_") } @args;
            $! = 0;
            my $r = syscall($nr + 0, @a);
            print(($r == -1 ? -($! + 0) : $r), "\n");
        }
        """;

    private readonly Process _process;

    private SyscallChild(Process process) => _process = process;

    public int Pid => _process.Id;

    public static bool IsAvailable => File.Exists(PerlPath);

    public static SyscallChild Start(string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(PerlPath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
        };
        info.ArgumentList.Add("-e");
        info.ArgumentList.Add(Script);
        if (workingDirectory is not null) info.WorkingDirectory = workingDirectory;
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {PerlPath}.");
        return new SyscallChild(process);
    }

    /// <summary>Performs one syscall by x86_64 name; string arguments are paths/names, numbers are ints (0 = NULL).</summary>
    public long Call(string syscall, params object[] args)
    {
        if (!X86_64Syscalls.TryGetNumber(syscall, out int number)) throw new ArgumentException($"Unknown syscall {syscall}", nameof(syscall));
        var line = new StringBuilder(number.ToString(CultureInfo.InvariantCulture));
        foreach (var arg in args)
        {
            line.Append('\t');
            line.Append(arg switch
            {
                string s => "s:" + Convert.ToHexString(Encoding.UTF8.GetBytes(s)),
                int or long or uint => "i:" + Convert.ToInt64(arg, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture),
                _ => throw new ArgumentException($"Unsupported syscall argument {arg?.GetType().Name}", nameof(args)),
            });
        }
        return long.Parse(Exchange(line.ToString()), CultureInfo.InvariantCulture);
    }

    /// <summary>Round trip without a syscall: lets several children be released at the same moment.</summary>
    public void Ping() => Exchange("go");

    /// <summary>Sends a "go" without waiting; pair with <see cref="ReadGo"/>.</summary>
    public void SendGo() => _process.StandardInput.WriteLine("go");

    public void ReadGo() => ReadLine();

    private string Exchange(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
        return ReadLine();
    }

    private string ReadLine()
    {
        var read = _process.StandardOutput.ReadLineAsync();
        if (read.Wait(TimeSpan.FromSeconds(10)) && read.Result is { } answer) return answer;
        if (!_process.HasExited) _process.Kill();
        throw new InvalidOperationException($"The syscall child stopped answering: {_process.StandardError.ReadToEnd()}");
    }

    public void Dispose()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(5000)) _process.Kill();
        }
        finally
        {
            _process.Dispose();
        }
    }
}
