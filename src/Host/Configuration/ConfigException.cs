namespace FsAudit.Host.Configuration;

/// <summary>A configuration error, naming the key's path (e.g. <c>fsaudit.kernel.backlog-limit</c>).</summary>
public sealed class ConfigException(string message) : Exception(message);
