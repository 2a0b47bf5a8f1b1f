using Xunit;
using System.Text.Json;
using FsAudit.Actors.Subscribers;

namespace FsAudit.Tests.Subscribers;

public class SubscriptionRequestTests
{
    private static string? Error(string json)
    {
        using var doc = JsonDocument.Parse(json);
        SubscriptionRequest.TryParse(doc.RootElement, TestCatalog.Instance, out _, out var error);
        return error;
    }

    [Theory]
    [InlineData("""{"classes":["fiels"]}""", "unknown class \"fiels\"")]
    [InlineData("""{"events":["FILE_Unlnk"]}""", "unknown event \"FILE_Unlnk\"")]
    [InlineData("""{"clases":["files"]}""", "unknown field \"clases\"")]
    [InlineData("""{"classes":"files"}""", "field \"classes\" must be an array of strings")]
    [InlineData("""{"classes":[1]}""", "field \"classes\" must be an array of strings")]
    [InlineData("""{"paths":["srv/data"]}""", "path \"srv/data\" is not absolute")]
    [InlineData("""{"success":"yes"}""", "field \"success\" must be true, false or \"any\"")]
    [InlineData("""{"uids":["root"]}""", "field \"uids\" must be an array of integers between -1 and 4294967295")]
    [InlineData("""{"auids":[4294967296]}""", "field \"auids\" must be an array of integers between -1 and 4294967295")]
    [InlineData("""{"uids":[1.5]}""", "field \"uids\" must be an array of integers between -1 and 4294967295")]
    [InlineData("""{"from":"beginning"}""", "field \"from\" must be \"now\", \"earliest\", an offset (integer >= 1) or a time (ISO 8601, e.g. \"2025-11-25T16:30:00Z\")")]
    [InlineData("""{"from":0}""", "field \"from\" must be \"now\", \"earliest\", an offset (integer >= 1) or a time (ISO 8601, e.g. \"2025-11-25T16:30:00Z\")")]
    [InlineData("""{"from":"2025-11-25T16:30:00"}""", "field \"from\" must be \"now\", \"earliest\", an offset (integer >= 1) or a time (ISO 8601, e.g. \"2025-11-25T16:30:00Z\")")]
    [InlineData("""{"name":"has space"}""", "field \"name\" must be 1-64 characters of letters, digits, '.', '_' or '-'")]
    [InlineData("""{"keys":[""]}""", "field \"keys\" must not contain an empty key")]
    [InlineData("""[1,2]""", "request must be a JSON object")]
    public void Bad_requests_are_explained(string json, string expectedPrefix)
    {
        var error = Error(json);
        Assert.NotNull(error);
        Assert.StartsWith(expectedPrefix, error);
    }

    [Fact]
    public void A_full_request_is_accepted()
    {
        using var doc = JsonDocument.Parse("""
            {"op":"subscribe","name":"backup-1","classes":["files"],"events":["PROC_Execute"],"paths":["/srv/data"],
             "keys":["data"],"success":"any","uids":[0],"auids":[1000,-1],"from":"now"}
            """);
        Assert.True(SubscriptionRequest.TryParse(doc.RootElement, TestCatalog.Instance, out var r, out var error), error);
        Assert.Equal("backup-1", r!.Name);
        Assert.Null(r.Filter.Success);
        Assert.Equal([1000u, uint.MaxValue], r.Filter.Auids);
    }
}
