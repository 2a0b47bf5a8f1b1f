using FsAudit.Engine.Classification;
using Xunit;

namespace FsAudit.Tests.Classification;

public class ClassCatalogTests
{
    private static Dictionary<string, IReadOnlyList<string>> Classes(params (string Name, string[] Entries)[] defs) =>
        defs.ToDictionary(d => d.Name, d => (IReadOnlyList<string>)d.Entries);

    [Fact]
    public void Includes_are_expanded_transitively()
    {
        var catalog = ClassCatalog.Build(Classes(
            ("fc", ["FILE_Create", "FILE_Rename"]),
            ("fd", ["FILE_Unlink", "FILE_Rename"]),
            ("namespace", ["fc", "fd", "FS_Mkdir"]),
            ("everything", ["namespace", "FILE_Mode"])));

        Assert.Equal(["FILE_Create", "FILE_Rename", "FILE_Unlink", "FS_Mkdir"], catalog.Expand("namespace"));
        Assert.Equal(["FILE_Create", "FILE_Mode", "FILE_Rename", "FILE_Unlink", "FS_Mkdir"], catalog.Expand("everything"));
        Assert.Equal(["everything", "fc", "fd", "namespace"], catalog.ClassesOf("FILE_Rename"));
        Assert.Equal(["everything"], catalog.ClassesOf("FILE_Mode"));
        Assert.Empty(catalog.ClassesOf("FILE_Open"));
        Assert.Empty(catalog.ClassesOf("not-an-event"));
        Assert.True(catalog.IsIn("FILE_Create", "namespace"));
        Assert.False(catalog.IsIn("FILE_Mode", "namespace"));
        Assert.False(catalog.IsIn("FILE_Create", "nope"));
        Assert.Throws<ArgumentException>(() => catalog.Expand("nope"));
    }

    [Fact]
    public void A_typo_names_the_key_path()
    {
        var ex = Assert.Throws<ClassCatalogException>(() => ClassCatalog.Build(Classes(
            ("fw", ["FILE_Write", "FILE_Truncate", "FILE_Wrte"]))));
        Assert.StartsWith("fsaudit.classes.fw[2]: unknown event or class \"FILE_Wrte\"", ex.Message);
        Assert.Contains("did you mean \"FILE_Write\"", ex.Message);
        Assert.Equal("fsaudit.classes.fw[2]", ex.KeyPath);
    }

    [Fact]
    public void The_key_prefix_is_the_callers()
    {
        var ex = Assert.Throws<ClassCatalogException>(() => ClassCatalog.Build(
            Classes(("mine", ["FILE_Open", "file_open"])), "subscribers[3].classes"));
        Assert.StartsWith("subscribers[3].classes.mine[1]: unknown event or class \"file_open\"", ex.Message);
        Assert.Contains("did you mean \"FILE_Open\"", ex.Message);
    }

    [Fact]
    public void An_unknown_class_name_in_an_include_is_reported_like_an_event()
    {
        var ex = Assert.Throws<ClassCatalogException>(() => ClassCatalog.Build(Classes(
            ("fc", ["FILE_Create"]), ("namespace", ["fc", "fdd"]))));
        Assert.StartsWith("fsaudit.classes.namespace[1]: unknown event or class \"fdd\"", ex.Message);
    }

    [Fact]
    public void Cycles_are_detected_with_the_path_of_classes()
    {
        var self = Assert.Throws<ClassCatalogException>(() => ClassCatalog.Build(Classes(("a", ["FILE_Open", "a"]))));
        Assert.Equal("fsaudit.classes.a[1]: class include cycle a -> a", self.Message);

        var three = Assert.Throws<ClassCatalogException>(() => ClassCatalog.Build(Classes(
            ("a", ["b"]), ("b", ["FILE_Open", "c"]), ("c", ["a"]))));
        Assert.Equal("fsaudit.classes.c[0]: class include cycle a -> b -> c -> a", three.Message);

        // A diamond (two paths to one class) is not a cycle.
        var diamond = ClassCatalog.Build(Classes(
            ("top", ["left", "right"]), ("left", ["base"]), ("right", ["base"]), ("base", ["FILE_Link"])));
        Assert.Equal(["base", "left", "right", "top"], diamond.ClassesOf("FILE_Link"));
    }

    [Fact]
    public void Record_types_and_syscall_fallbacks_are_event_names()
    {
        var catalog = ClassCatalog.Build(Classes(
            ("logins", ["USER_LOGIN", "USER_LOGOUT"]), ("misc", ["SYSCALL_kill", "CONFIG_CHANGE"])));
        Assert.Equal(["logins"], catalog.ClassesOf("USER_LOGIN"));
        Assert.Equal(["misc"], catalog.ClassesOf("SYSCALL_kill"));

        var mapped = Assert.Throws<ClassCatalogException>(() => ClassCatalog.Build(Classes(("x", ["SYSCALL_open"]))));
        Assert.StartsWith("fsaudit.classes.x[0]: unknown event or class \"SYSCALL_open\"", mapped.Message);
    }

    [Fact]
    public void A_class_may_not_be_named_like_an_event()
    {
        var ex = Assert.Throws<ClassCatalogException>(() => ClassCatalog.Build(Classes(("FILE_Open", ["FILE_Write"]))));
        Assert.Equal("fsaudit.classes.FILE_Open: class name \"FILE_Open\" is also an event name", ex.Message);
        var rec = Assert.Throws<ClassCatalogException>(() => ClassCatalog.Build(Classes(("USER_LOGIN", ["FILE_Write"]))));
        Assert.StartsWith("fsaudit.classes.USER_LOGIN:", rec.Message);
    }

    [Fact]
    public void More_than_64_classes_keep_exact_membership()
    {
        var defs = Enumerable.Range(0, 130).Select(i => ($"c{i:000}", i % 3 == 0 ? new[] { "FILE_Open" } : new[] { "FILE_Write" }))
            .ToArray();
        var catalog = ClassCatalog.Build(Classes(defs));
        Assert.Equal(44, catalog.ClassesOf("FILE_Open").Count);
        Assert.True(catalog.IsIn("FILE_Open", "c129"));
        Assert.False(catalog.IsIn("FILE_Open", "c128"));
        Assert.True(catalog.IsIn("FILE_Write", "c128"));
        Assert.False(catalog.IsIn("FILE_Write", "c066"));
    }

    [Fact]
    public void Membership_queries_allocate_nothing()
    {
        var catalog = ClassCatalog.Build(Classes(("fc", ["FILE_Create", "FILE_Rename"]), ("fd", ["FILE_Rename"])));
        static int Run(ClassCatalog catalog)
        {
            var hits = 0;
            for (var i = 0; i < 10_000; i++)
            {
                hits += catalog.ClassesOf("FILE_Rename").Count + catalog.ClassesOf("FILE_Open").Count;
                if (catalog.IsIn("FILE_Create", "fc")) hits++;
            }
            return hits;
        }
        Run(catalog); // let the JIT settle
        var before = GC.GetAllocatedBytesForCurrentThread();
        var hits = Run(catalog);
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        Assert.Equal(30_000, hits);
    }

    [Fact]
    public void An_empty_definition_is_an_empty_catalog()
    {
        var catalog = ClassCatalog.Build(new Dictionary<string, IReadOnlyList<string>>());
        Assert.Empty(catalog.ClassNames);
        Assert.Empty(catalog.ClassesOf("FILE_Open"));
    }
}
