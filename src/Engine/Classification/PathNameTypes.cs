namespace FsAudit.Engine.Classification;

/// <summary>
/// The <c>nametype=</c> values seen in an event's PATH records, as a set. A set (not a list) is all the
/// classifier needs: "did any PATH item say CREATE" decides FILE_Create, whatever the item order.
/// </summary>
[Flags]
public enum PathNameTypes : byte
{
    None = 0,
    Normal = 1,
    Parent = 2,
    Create = 4,
    Delete = 8,
    Unknown = 16,
}

public static class PathNameTypesParser
{
    /// <summary>Maps a PATH record's <c>nametype=</c> value; anything unrecognised is <see cref="PathNameTypes.Unknown"/>.</summary>
    public static PathNameTypes Parse(ReadOnlySpan<char> nametype) => nametype switch
    {
        "NORMAL" => PathNameTypes.Normal,
        "PARENT" => PathNameTypes.Parent,
        "CREATE" => PathNameTypes.Create,
        "DELETE" => PathNameTypes.Delete,
        _ => PathNameTypes.Unknown,
    };
}
