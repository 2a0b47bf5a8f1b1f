namespace FsAudit.Engine.Classification;

/// <summary>A class definition is invalid. The message starts with the offending key path (<c>fsaudit.classes.fw[2]: ...</c>).</summary>
public sealed class ClassCatalogException(string keyPath, string problem) : Exception($"{keyPath}: {problem}")
{
    public string KeyPath { get; } = keyPath;
}
