using System.Data.Common;
using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Persistence.Sql;
using Akka.Persistence.Sql.Config;
using LinqToDB;
using LinqToDB.Interceptors;
using Microsoft.Data.Sqlite;

namespace FsAudit.Actors.Persistence;

/// <summary>
/// Everything the actor system needs to host the journal: the Akka.Persistence.Sql plugin configuration
/// (journal, snapshot store, read journal) and, for SQLite, a linq2db interceptor that applies the per-connection
/// PRAGMAs (<c>synchronous=NORMAL</c> cannot be set in a Microsoft.Data.Sqlite connection string).
/// </summary>
public static class JournalBootstrap
{
    public const string JournalPluginId = "akka.persistence.journal.sql";
    public const string SnapshotPluginId = "akka.persistence.snapshot-store.sql";
    public const string QueryPluginId = "akka.persistence.query.journal.sql";

    /// <summary>
    /// The actor-system setup for the daemon (and for readers with <paramref name="readOnly"/>): <paramref name="hocon"/>
    /// with the persistence configuration in front of it. Use with <c>ActorSystem.Create(name, setup)</c>.
    /// </summary>
    public static ActorSystemSetup Setup(Config hocon, JournalSettings settings, bool readOnly = false)
    {
        var config = PersistenceConfig(settings, readOnly).WithFallback(hocon).WithFallback(SqlPersistence.DefaultConfiguration);
        var setup = BootstrapSetup.Create().WithConfig(config);
        if (settings.Plugin != JournalPlugin.Sqlite) return ActorSystemSetup.Create(setup);
        return ActorSystemSetup.Create(setup, new DataOptionsSetup(SqliteDataOptions(settings.DatabasePath, readOnly)));
    }

    /// <summary>How linq2db connects to the SQLite journal: the connection string plus the PRAGMA interceptor.</summary>
    internal static DataOptions SqliteDataOptions(string path, bool readOnly) => new DataOptions()
        .UseConnectionString(ProviderName.SQLiteMS, SqliteConnectionString(path, readOnly))
        .UseInterceptor(new SqlitePragmas(readOnly));

    /// <summary>The <c>akka.persistence</c> section for <paramref name="settings"/>.</summary>
    public static Config PersistenceConfig(JournalSettings settings, bool readOnly = false)
    {
        bool sqlite = settings.Plugin == JournalPlugin.Sqlite;
        string cs = Quote(sqlite ? SqliteConnectionString(settings.DatabasePath, readOnly) : settings.ConnectionString);
        string provider = Quote(sqlite ? ProviderName.SQLiteMS : settings.PostgreSqlProvider);
        string mapping = sqlite ? "sqlite" : "postgresql";
        string init = readOnly ? "off" : "on";
        string refresh = $"{Math.Max(1, (long)settings.QueryRefresh.TotalMilliseconds)}ms";
        string timeout = $"{(long)settings.WriteTimeout.TotalMilliseconds}ms";
        return ConfigurationFactory.ParseString($$"""
            akka.persistence {
              journal {
                plugin = "{{JournalPluginId}}"
                sql {
                  connection-string = {{cs}}
                  provider-name = {{provider}}
                  table-mapping = {{mapping}}
                  auto-initialize = {{init}}
                  # one row is one batch of up to batch.max-bytes: keep recovery pages small
                  replay-batch-size = {{settings.QueryPageRows}}
                  parallelism = 1
                  circuit-breaker { max-failures = 10, call-timeout = {{timeout}}, reset-timeout = 5s }
                }
              }
              snapshot-store {
                plugin = "{{SnapshotPluginId}}"
                sql {
                  connection-string = {{cs}}
                  provider-name = {{provider}}
                  table-mapping = {{mapping}}
                  auto-initialize = {{init}}
                }
              }
              query.journal.sql {
                write-plugin = "{{JournalPluginId}}"
                connection-string = {{cs}}
                provider-name = {{provider}}
                table-mapping = {{mapping}}
                max-buffer-size = {{settings.QueryPageRows}}
                refresh-interval = {{refresh}}
                # The plugin starts a sequence actor with the read journal that polls MAX(ordering) every query-delay;
                # only tag/all-events queries use it, and fsaudit reads by persistence id: keep it nearly idle
                # (at 100 ms it cost ~1 % of the daemon's CPU under load).
                journal-sequence-retrieval.query-delay = 10m
              }
            }
            """);
    }

    public static string SqliteConnectionString(string path, bool readOnly = false) => new SqliteConnectionStringBuilder
    {
        DataSource = path,
        Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWrite,
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();

    private static string Quote(string s) => "\"" + s.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";

    /// <summary>
    /// Runs on every connection linq2db opens (one per journal write). WAL mode is a property of the file (set by
    /// <see cref="SqliteJournalFile.Prepare"/>); <c>synchronous</c> and <c>busy_timeout</c> are per SQLite handle, and
    /// Microsoft.Data.Sqlite's pool hands the same handles out again: each handle gets them once.
    /// </summary>
    private sealed class SqlitePragmas(bool readOnly) : ConnectionInterceptor
    {
        private static readonly object Applied = new();
        private readonly System.Runtime.CompilerServices.ConditionalWeakTable<object, object> _handles = new();

        private string Sql => readOnly ? "PRAGMA busy_timeout=30000;" : "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;";

        private bool Needed(DbConnection connection) =>
            connection is not SqliteConnection { Handle: { } handle } || !_handles.TryGetValue(handle, out _);

        private void Remember(DbConnection connection)
        {
            if (connection is SqliteConnection { Handle: { } handle }) _handles.AddOrUpdate(handle, Applied);
        }

        public override void ConnectionOpened(ConnectionEventData eventData, DbConnection connection)
        {
            if (!Needed(connection)) return;
            using var cmd = connection.CreateCommand();
            cmd.CommandText = Sql;
            cmd.ExecuteNonQuery();
            Remember(connection);
        }

        public override async Task ConnectionOpenedAsync(ConnectionEventData eventData, DbConnection connection, CancellationToken cancellationToken)
        {
            if (!Needed(connection)) return;
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = Sql;
            await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            Remember(connection);
        }
    }
}
