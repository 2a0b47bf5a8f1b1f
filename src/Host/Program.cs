return FsAudit.Host.Cli.CommandLine.Run(args);
