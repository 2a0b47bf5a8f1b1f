using FsAudit.Host.Bench;
using Xunit;

namespace FsAudit.Tests.Bench;

public class MountTableTests
{
    private const string Mountinfo =
        "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n" +
        "23 22 0:21 / /proc rw,nosuid - proc proc rw\n" +
        "24 22 0:22 / /tmp rw,nosuid,nodev shared:5 - tmpfs tmpfs rw,size=1g\n" +
        "25 22 254:16 / /srv/data rw,noatime shared:7 master:2 - xfs /dev/vdb rw\n" +
        "26 22 0:23 / /srv/my\\040disk rw - btrfs /dev/vdc rw\n" +
        "27 24 0:24 / /tmp rw - ext4 /dev/vdd rw\n";

    [Theory]
    [InlineData("/srv/data/bench", "xfs", "/srv/data")]
    [InlineData("/srv/data", "xfs", "/srv/data")]
    [InlineData("/srv/database", "ext4", "/")]          // a prefix of the name, not of the path
    [InlineData("/srv/my disk/x", "btrfs", "/srv/my disk")] // octal escapes in mount points
    [InlineData("/var/tmp", "ext4", "/")]
    [InlineData("/tmp/fsaudit-bench-1", "ext4", "/tmp")]  // the later mount over /tmp wins
    public void The_deepest_mount_containing_the_path_names_its_file_system(string path, string type, string mountPoint)
    {
        Assert.Equal((type, mountPoint), MountTable.Find(Mountinfo, path));
    }

    [Fact]
    public void Malformed_lines_are_skipped_and_an_empty_table_finds_nothing()
    {
        Assert.Null(MountTable.Find("", "/tmp"));
        Assert.Null(MountTable.Find("garbage\n1 2 3\n", "/tmp"));
        Assert.Equal(("ext4", "/"), MountTable.Find("garbage\n22 1 254:0 / / rw - ext4 /dev/vda rw\n", "/tmp"));
    }

    [Fact]
    public void Symbolic_links_are_followed_to_the_real_directory()
    {
        var dir = Directory.CreateTempSubdirectory("fsaudit-mount-");
        try
        {
            var real = Directory.CreateDirectory(Path.Combine(dir.FullName, "real"));
            var link = Path.Combine(dir.FullName, "link");
            Directory.CreateSymbolicLink(link, real.FullName);
            Assert.Equal(MountTable.RealPath(real.FullName), MountTable.RealPath(Path.Combine(link, ".")));
            Assert.Equal(MountTable.RealPath(real.FullName), MountTable.RealPath(link));
            Assert.Null(MountTable.RealPath(Path.Combine(dir.FullName, "missing")));
            // /proc is its own mount: a link into it is reported as proc, not as the file system the link lies on.
            var proc = Path.Combine(dir.FullName, "to-proc");
            Directory.CreateSymbolicLink(proc, "/proc/self");
            Assert.Equal("proc", MountTable.Find(proc)?.Type);
        }
        finally { dir.Delete(recursive: true); }
    }

    [Fact]
    public void This_machine_s_root_is_found()
    {
        var found = MountTable.Find("/");
        Assert.NotNull(found);
        Assert.Equal("/", found.Value.MountPoint);
        Assert.False(string.IsNullOrEmpty(found.Value.Type));
    }
}
