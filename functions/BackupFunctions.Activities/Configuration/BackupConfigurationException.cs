namespace BackupFunctions.Activities.Configuration;

/// <summary>Invalid configuration: the message names the key to fix (exit code 2).</summary>
public sealed class BackupConfigurationException : Exception
{
    public BackupConfigurationException(string message) : base(message) { }

    public BackupConfigurationException(string message, Exception inner) : base(message, inner) { }

    public BackupConfigurationException() { }
}
