using BackupFunctions.Activities.Configuration;
using BackupFunctions.Engines;

namespace BackupFunctions.Activities.Backups;

/// <summary>Which failures a retry cannot fix: both hosts' retry policies consult this.</summary>
public static class Failures
{
    /// <summary>True for bad configuration, refused credentials, missing things and refused operations.</summary>
    public static bool IsPermanent(Exception e) => e switch
    {
        BackupConfigurationException => true,
        EngineException engine => !engine.IsTransient,
        _ => e.InnerException is not null && IsPermanent(e.InnerException),
    };
}
