using Xunit;
using FsAudit.Engine.Correlation;

namespace FsAudit.Tests.Correlation;

public class SerialGapTrackerTests
{
    private static SerialGapTracker Run(int window, params uint[] serials)
    {
        var t = new SerialGapTracker(window);
        foreach (var s in serials) t.Observe(s);
        return t;
    }

    [Fact]
    public void Consecutive_and_repeated_serials_lose_nothing()
    {
        var t = Run(64, 1, 1, 1, 2, 2, 3, 4, 5);
        t.Finish();
        Assert.Equal(0, t.PossiblyLost);
    }

    [Fact]
    public void Missing_serials_count_when_they_leave_the_window_or_at_finish()
    {
        var t = Run(64, 10, 12);
        Assert.Equal(0, t.PossiblyLost);
        Assert.Equal(1, t.Unresolved);
        t.Observe(10 + 65); // 11 leaves the window (it spans newest-63..newest)
        Assert.Equal(1, t.PossiblyLost);
        t.Finish();
        Assert.Equal(1 + 62, t.PossiblyLost); // 13..74 never came
        Assert.Equal(0, t.Unresolved);
    }

    [Fact]
    public void Late_arrivals_within_the_window_are_not_lost()
    {
        var t = Run(64, 100, 103, 101, 102);
        t.Finish();
        Assert.Equal(0, t.PossiblyLost);
        t = Run(64, 100, 99, 98); // first serials out of order
        t.Finish();
        Assert.Equal(0, t.PossiblyLost);
    }

    [Fact]
    public void Arrival_after_the_window_passed_is_too_late()
    {
        var t = Run(64, 1, 200, 2);
        Assert.Equal(1, t.TooLate);
        t.Finish();
        Assert.Equal(198, t.PossiblyLost); // 2..199
    }

    [Fact]
    public void Big_jump_counts_everything_skipped()
    {
        var t = Run(64, 1, 1001);
        t.Finish();
        Assert.Equal(999, t.PossiblyLost);
    }

    [Fact]
    public void Rollover_is_continuous()
    {
        var t = Run(64, uint.MaxValue - 1, uint.MaxValue, 0, 2);
        t.Finish();
        Assert.Equal(1, t.PossiblyLost); // only 1
        Assert.Equal(2u, t.Newest);
    }

    [Fact]
    public void Huge_jumps_resync_instead_of_counting_loss()
    {
        var t = Run(64, 5_000_000, 5_000_001, 7, 8);
        t.Finish();
        Assert.Equal(0, t.PossiblyLost);
        Assert.Equal(1, t.Resyncs);
        t = Run(64, 1, 1 + SerialGapTracker.ResyncDistance + 10);
        Assert.Equal(1, t.Resyncs);
    }
}
