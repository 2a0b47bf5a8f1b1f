using FsAudit.Actors.Persistence;
using LinqToDB.Data;
using Microsoft.Data.Sqlite;
using Xunit;

namespace FsAudit.Tests.Persistence;

/// <summary>The per-connection PRAGMAs reach every connection linq2db opens, also when the pool hands a handle out again.</summary>
public sealed class JournalPragmaTests
{
    [Fact]
    public async Task Every_journal_connection_runs_with_synchronous_normal_and_a_busy_timeout()
    {
        await using var j = new TempJournal();
        SqliteJournalFile.Prepare(j.DatabasePath);
        var options = JournalBootstrap.SqliteDataOptions(j.DatabasePath, readOnly: false);

        // A connection that bypasses the interceptor keeps SQLite's defaults (FULL = 2, no busy timeout): the
        // figures below come from the interceptor.
        using (var plain = new SqliteConnection(JournalBootstrap.SqliteConnectionString(j.DatabasePath) + ";Pooling=False"))
        {
            plain.Open();
            using var cmd = plain.CreateCommand();
            cmd.CommandText = "PRAGMA synchronous";
            Assert.Equal(2L, (long)cmd.ExecuteScalar()!);
        }
        for (int i = 0; i < 3; i++) // the 2nd and 3rd reuse the pooled handle
        {
            using var db = new DataConnection(options);
            Assert.Equal(1L, db.Execute<long>("PRAGMA synchronous"));
            Assert.Equal(30000L, db.Execute<long>("PRAGMA busy_timeout"));
        }
        SqliteConnection.ClearAllPools();
        using (var fresh = new DataConnection(options)) // a new handle after the pool was cleared
            Assert.Equal(1L, fresh.Execute<long>("PRAGMA synchronous"));
    }
}
