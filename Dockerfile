# The local host (backupfn) as a container, for Kubernetes or Container Apps jobs:
#   docker build -t backupfn .
#   docker run --rm -e Backup__Storage__Connection=... -e Backup__Targets__orders__Engine=postgres ... backupfn backup
# `serve` (the default command) runs the timer, HTTP and queue triggers. NOT BUILT on the development
# machines (no Docker engine there): see README "Container".
ARG DOTNET_VERSION=10.0

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
WORKDIR /src
COPY . .
RUN dotnet publish functions/BackupFunctions.Local/BackupFunctions.Local.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION}
# pg_dump/pg_restore must be at least the server's major version: PG_MAJOR picks them from the
# PostgreSQL project's apt repository. redis-tools gives redis-cli for troubleshooting.
ARG PG_MAJOR=17
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl gnupg lsb-release \
 && install -d /usr/share/postgresql-common/pgdg \
 && curl -fsSL -o /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc https://www.postgresql.org/media/keys/ACCC4CF8.asc \
 && echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt $(lsb_release -cs)-pgdg main" > /etc/apt/sources.list.d/pgdg.list \
 && apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client-${PG_MAJOR} redis-tools \
 && apt-get purge -y curl gnupg lsb-release && apt-get autoremove -y \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app .
# Inside a container the HTTP API must listen beyond loopback: set Backup__Local__ApiKey too.
ENV Backup__Local__Urls=http://0.0.0.0:7071
EXPOSE 7071
USER $APP_UID
ENTRYPOINT ["dotnet", "/app/backupfn.dll"]
CMD ["serve"]
