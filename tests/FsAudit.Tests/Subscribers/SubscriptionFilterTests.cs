using Xunit;
using System.Text.Json;
using FsAudit.Actors.Subscribers;

namespace FsAudit.Tests.Subscribers;

public class SubscriptionFilterTests
{
    private static SubscriptionFilter Filter(string json)
    {
        using var doc = JsonDocument.Parse(json);
        Assert.True(SubscriptionRequest.TryParse(doc.RootElement, TestCatalog.Instance, out var r, out var error), error);
        return r!.Filter;
    }

    private static EventFacts Facts(string name = "FILE_Open", string[]? paths = null, string[]? keys = null,
        bool? success = true, uint? uid = 1000, uint? auid = 1000) =>
        TestView.Instance.Describe(new TestEvent(name, paths, keys, success, uid, auid));

    [Fact]
    public void Empty_filter_matches_everything()
    {
        var f = Filter("""{"op":"subscribe"}""");
        Assert.True(f.Matches(Facts()));
        Assert.True(f.Matches(Facts("PROC_Execute", success: null, uid: null, auid: null)));
    }

    [Fact]
    public void Classes_select_their_event_names_and_events_add_to_them()
    {
        var files = Filter("""{"classes":["files"]}""");
        Assert.True(files.Matches(Facts("FILE_Unlink")));
        Assert.True(files.Matches(Facts("FILE_Open")));
        Assert.False(files.Matches(Facts("PROC_Execute")));

        var union = Filter("""{"classes":["deletes"],"events":["PROC_Execute"]}""");
        Assert.True(union.Matches(Facts("FILE_Unlink")));
        Assert.True(union.Matches(Facts("PROC_Execute")));
        Assert.False(union.Matches(Facts("FILE_Open")));
        Assert.False(union.Matches(Facts("PROC_Create")));
    }

    [Theory]
    [InlineData("/srv/data", "/srv/data", true)]
    [InlineData("/srv/data", "/srv/data/x", true)]
    [InlineData("/srv/data", "/srv/data/", true)]
    [InlineData("/srv/data", "/srv/data/a/b/c", true)]
    [InlineData("/srv/data", "/srv/database", false)]
    [InlineData("/srv/data", "/srv/dat", false)]
    [InlineData("/srv/data", "/srv", false)]
    [InlineData("/srv/data/", "/srv/data/x", true)]
    [InlineData("/srv//data/./sub/..", "/srv/data/x", true)]
    [InlineData("/", "/anything", true)]
    public void Paths_are_subtree_prefixes_compared_by_component(string prefix, string path, bool expected)
    {
        var f = Filter($$"""{"paths":["{{prefix}}"]}""");
        Assert.Equal(expected, f.Matches(Facts(paths: [path])));
    }

    [Fact]
    public void Any_path_of_the_event_may_match_and_an_event_without_paths_does_not()
    {
        var f = Filter("""{"paths":["/srv/data","/home/alice"]}""");
        Assert.True(f.Matches(Facts(paths: ["/tmp/x", "/home/alice/notes"])));
        Assert.False(f.Matches(Facts(paths: ["/tmp/x", "/home/alicex"])));
        Assert.False(f.Matches(Facts(paths: [])));
    }

    [Fact]
    public void Keys_match_any_key_of_the_event()
    {
        var f = Filter("""{"keys":["data","etc"]}""");
        Assert.True(f.Matches(Facts(keys: ["other", "etc"])));
        Assert.False(f.Matches(Facts(keys: ["other"])));
        Assert.False(f.Matches(Facts(keys: [])));
    }

    [Fact]
    public void Success_true_false_and_any()
    {
        var ok = Filter("""{"success":true}""");
        var failed = Filter("""{"success":false}""");
        var any = Filter("""{"success":"any"}""");
        Assert.True(ok.Matches(Facts(success: true)));
        Assert.False(ok.Matches(Facts(success: false)));
        Assert.False(ok.Matches(Facts(success: null)));
        Assert.True(failed.Matches(Facts(success: false)));
        Assert.False(failed.Matches(Facts(success: true)));
        Assert.True(any.Matches(Facts(success: false)));
        Assert.True(any.Matches(Facts(success: null)));
    }

    [Fact]
    public void Uids_and_auids_match_their_own_field_and_minus_one_is_unset()
    {
        var byUid = Filter("""{"uids":[0,1001]}""");
        Assert.True(byUid.Matches(Facts(uid: 1001, auid: 5)));
        Assert.False(byUid.Matches(Facts(uid: 1000, auid: 1001)));
        Assert.False(byUid.Matches(Facts(uid: null)));

        var byAuid = Filter("""{"auids":[-1]}""");
        Assert.True(byAuid.Matches(Facts(auid: uint.MaxValue)));
        Assert.False(byAuid.Matches(Facts(auid: 1000)));
    }

    [Fact]
    public void Fields_combine_with_and()
    {
        var f = Filter("""{"classes":["files"],"paths":["/srv/data"],"success":true,"uids":[1000]}""");
        Assert.True(f.Matches(Facts("FILE_Write", paths: ["/srv/data/f"])));
        Assert.False(f.Matches(Facts("PROC_Execute", paths: ["/srv/data/f"])));
        Assert.False(f.Matches(Facts("FILE_Write", paths: ["/srv/other"])));
        Assert.False(f.Matches(Facts("FILE_Write", paths: ["/srv/data/f"], success: false)));
        Assert.False(f.Matches(Facts("FILE_Write", paths: ["/srv/data/f"], uid: 0)));
    }

    [Fact]
    public void Filter_json_shows_normalized_fields()
    {
        var f = Filter("""{"classes":["files"],"paths":["/srv/data/","/srv/data"],"auids":[-1],"success":false}""");
        Assert.Equal("""{"classes":["files"],"paths":["/srv/data"],"success":false,"auids":[4294967295]}""", f.ToString());
    }
}
