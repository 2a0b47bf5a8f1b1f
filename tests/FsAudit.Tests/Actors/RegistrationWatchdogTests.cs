using FsAudit.Actors.Pipeline;
using Xunit;

namespace FsAudit.Tests.Actors;

public sealed class RegistrationWatchdogTests
{
    private sealed class FakeControl : IRegistrationControl
    {
        public int ExpectedPid => 4242;
        public int Registered = 4242;
        public int RegisterCalls;
        public bool FailRegister, FailQuery;

        public ManualResetEventSlim? QueryGate;
        public readonly ManualResetEventSlim Querying = new();

        public int QueryRegisteredPid()
        {
            Querying.Set();
            QueryGate?.Wait();
            return FailQuery ? throw new IOException("status failed") : Registered;
        }

        public void Register()
        {
            RegisterCalls++;
            if (FailRegister) throw new IOException("EEXIST");
            Registered = ExpectedPid;
        }
    }

    [Fact]
    public void A_dropped_registration_is_reported_and_registered_again()
    {
        var control = new FakeControl();
        using var dog = new RegistrationWatchdog(control, TimeSpan.FromHours(1));
        var lost = new List<RegistrationLost>();
        dog.Lost += lost.Add;

        Assert.Null(dog.CheckNow());
        control.Registered = 0; // the kernel deregistered us
        var first = dog.CheckNow();

        Assert.Equal(new RegistrationLost(0, 4242, true, null), first);
        Assert.Equal(4242, control.Registered);
        Assert.Null(dog.CheckNow());
        Assert.Equal([first!], lost);
        Assert.Equal(new RegistrationCounters(Checks: 3, Losses: 1, ReRegistrations: 1, CheckFailures: 0), dog.Counters);
    }

    [Fact]
    public void Another_daemon_and_failures_are_reported_not_thrown()
    {
        var control = new FakeControl { Registered = 999, FailRegister = true };
        using var dog = new RegistrationWatchdog(control, TimeSpan.FromHours(1));
        var failures = new List<Exception>();
        dog.CheckFailed += failures.Add;

        var lost = dog.CheckNow();
        Assert.NotNull(lost);
        Assert.False(lost!.ReRegistered);
        Assert.Equal(999, lost.ObservedPid);
        Assert.Equal("EEXIST", lost.Error);

        control.FailQuery = true;
        Assert.Null(dog.CheckNow());
        Assert.Single(failures);
        Assert.Equal(new RegistrationCounters(1, 1, 0, 1), dog.Counters);
    }

    [Fact]
    public void The_timer_checks_on_its_own()
    {
        var control = new FakeControl { Registered = 0 };
        using var dog = new RegistrationWatchdog(control, TimeSpan.FromMilliseconds(20));
        using var seen = new ManualResetEventSlim();
        dog.Lost += _ => seen.Set();
        Assert.True(seen.Wait(TimeSpan.FromSeconds(5)));
        Assert.True(control.RegisterCalls >= 1);
    }

    [Fact]
    public void After_dispose_a_missing_registration_is_left_alone()
    {
        var control = new FakeControl();
        var dog = new RegistrationWatchdog(control, TimeSpan.FromMilliseconds(10));
        dog.Dispose();
        control.Registered = 0; // the daemon unregistered itself on its way out

        Assert.Null(dog.CheckNow());
        Thread.Sleep(50); // the timer would have fired several times
        Assert.Equal(0, control.RegisterCalls);
        Assert.Equal(0, control.Registered);
    }

    [Fact]
    public void Dispose_returns_only_after_a_check_in_progress()
    {
        using var gate = new ManualResetEventSlim();
        var control = new FakeControl { QueryGate = gate };
        var dog = new RegistrationWatchdog(control, TimeSpan.FromHours(1));
        // Dedicated threads: on 2 cores the pool's threads may all be blocked here, which would delay Dispose by itself.
        var check = new Thread(() => dog.CheckNow());
        check.Start();
        Assert.True(control.Querying.Wait(TimeSpan.FromSeconds(5)));

        using var disposed = new ManualResetEventSlim();
        var dispose = new Thread(() => { dog.Dispose(); disposed.Set(); });
        dispose.Start();
        Assert.False(disposed.Wait(TimeSpan.FromMilliseconds(200)), "Dispose returned while a check was still querying the kernel");
        gate.Set();
        Assert.True(disposed.Wait(TimeSpan.FromSeconds(5)));
        Assert.True(check.Join(TimeSpan.FromSeconds(5)));
    }
}
