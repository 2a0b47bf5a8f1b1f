using System.Runtime.CompilerServices;
using Akka.Configuration;
using FsAudit.Engine.Classification;
using Xunit;

namespace FsAudit.Tests.Classification;

/// <summary>The shipped hocon/classes.conf, read as the daemon reads HOCON, built into a catalog.</summary>
public class DefaultClassesTests
{
    // The repository's file, found from this source file's path (builds may put the binaries anywhere).
    private static string ClassesConf([CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", "..", "..", "hocon", "classes.conf"));

    internal static IReadOnlyDictionary<string, IReadOnlyList<string>> LoadDefaults()
    {
        var config = ConfigurationFactory.ParseString(File.ReadAllText(ClassesConf()));
        return config.GetValue("fsaudit.classes").GetObject().Items.ToDictionary(
            kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value.GetArray().Select(v => v.GetString()).ToList());
    }

    internal static ClassCatalog Defaults() => ClassCatalog.Build(LoadDefaults());

    [Fact]
    public void The_defaults_ship_the_required_classes()
    {
        Assert.Equal(["all", "attributes", "fc", "fd", "files", "fm", "fw", "general", "namespace"], Defaults().ClassNames);
    }

    [Fact]
    public void A_rename_is_both_fc_and_fd_and_in_namespace()
    {
        var catalog = Defaults();
        Assert.True(catalog.IsIn("FILE_Rename", "fc"));
        Assert.True(catalog.IsIn("FILE_Rename", "fd"));
        Assert.Equal(["all", "fc", "fd", "files", "general", "namespace"], catalog.ClassesOf("FILE_Rename"));
        Assert.Equal(catalog.Expand("fc").Union(catalog.Expand("fd")).Order(StringComparer.Ordinal), catalog.Expand("namespace"));
    }

    [Fact]
    public void BSM_file_classes_follow_BSM()
    {
        var catalog = Defaults();
        Assert.Equal(["FILE_Create", "FILE_Link", "FILE_Mknod", "FILE_Rename", "FILE_Symlink", "FS_Mkdir"], catalog.Expand("fc"));
        Assert.Equal(["FILE_Rename", "FILE_Unlink", "FS_Rmdir"], catalog.Expand("fd"));
        Assert.Contains("FILE_Truncate", catalog.Expand("fw"));
        Assert.Contains("FILE_Write", catalog.Expand("fw"));
        Assert.DoesNotContain("FILE_Open", catalog.Expand("fw"));
        Assert.Equal(["FILE_Fchmod", "FILE_Fchown", "FILE_Mode", "FILE_Owner", "FILE_Utimes", "FILE_Xattr"], catalog.Expand("fm"));
    }

    [Fact]
    public void AIX_classes_are_AIXs_restricted_to_names_we_produce()
    {
        // AIX defaults from /etc/security/audit/config.
        string[] aixFiles = ["FILE_Open", "FILE_Read", "FILE_Write", "FILE_Close", "FILE_Link", "FILE_Unlink",
            "FILE_Rename", "FILE_Owner", "FILE_Mode", "FILE_Acl", "FILE_Privilege", "DEV_Create"];
        string[] aixGeneral = ["USER_SU", "PASSWORD_Change", "FILE_Unlink", "FILE_Link", "FILE_Rename", "FS_Chdir",
            "FS_Chroot", "PORT_Locked", "PORT_Change", "FS_Mkdir", "FS_Rmdir"];
        var catalog = Defaults();
        Assert.Equal(aixGeneral.Where(EventNames.IsCatalogName).Order(StringComparer.Ordinal), catalog.Expand("general"));
        // files adds only FILE_Create, the part of AIX's FILE_Open that created the file.
        Assert.Equal(aixFiles.Where(EventNames.IsCatalogName).Append("FILE_Create").Order(StringComparer.Ordinal),
            catalog.Expand("files"));
    }

    [Fact]
    public void All_is_exactly_the_catalog()
    {
        Assert.Equal(EventNames.All.Select(i => i.Name).Order(StringComparer.Ordinal), Defaults().Expand("all"));
    }
}
