using BackupFunctions.Activities.Backups;
using BackupFunctions.Activities.Configuration;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// The same "Backup" configuration section as the local host, from app settings (Backup__...).
// Invalid configuration fails at start with the key to fix.
var host = new HostBuilder()
    .ConfigureFunctionsWorkerDefaults()
    .ConfigureServices((context, services) =>
    {
        var options = BackupConfiguration.Bind(context.Configuration);
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => BackupRuntime.Create(options, TimeProvider.System, sp.GetRequiredService<ILoggerFactory>()));
    })
    .Build();

host.Run();
