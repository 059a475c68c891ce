# syntax=docker/dockerfile:1
# Multi-stage build of the operator. The runtime image runs as a non-root user, holds no secrets,
# and works with a read-only root filesystem (config/manager mounts an emptyDir at /tmp).

# Base images should be pinned by digest (FROM image:tag@sha256:…). The digests could not be looked up from the
# machine this was written on (no registry access); pin them with `docker buildx imagetools inspect <image>` before a
# release. Until then the tags below float within .NET 10 patch releases.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
# Project files and lock files first, so the locked restore is cached until a dependency changes.
COPY src/ControlPlane.Core/ControlPlane.Core.csproj src/ControlPlane.Core/packages.lock.json src/ControlPlane.Core/
COPY src/ControlPlane.Runtime/ControlPlane.Runtime.csproj src/ControlPlane.Runtime/packages.lock.json src/ControlPlane.Runtime/
COPY src/ControlPlane.Store/ControlPlane.Store.csproj src/ControlPlane.Store/packages.lock.json src/ControlPlane.Store/
COPY src/ControlPlane.Secrets/ControlPlane.Secrets.csproj src/ControlPlane.Secrets/packages.lock.json src/ControlPlane.Secrets/
COPY src/ControlPlane.Sandbox/ControlPlane.Sandbox.csproj src/ControlPlane.Sandbox/packages.lock.json src/ControlPlane.Sandbox/
COPY src/ControlPlane.Client/ControlPlane.Client.csproj src/ControlPlane.Client/packages.lock.json src/ControlPlane.Client/
COPY src/ControlPlane.Operator/ControlPlane.Operator.csproj src/ControlPlane.Operator/packages.lock.json src/ControlPlane.Operator/
RUN dotnet restore src/ControlPlane.Operator/ControlPlane.Operator.csproj --locked-mode
COPY src/ src/
COPY sql/ sql/
COPY config/crds/ config/crds/
COPY config/rbac/ config/rbac/
RUN dotnet publish src/ControlPlane.Operator/ControlPlane.Operator.csproj -c Release --no-restore -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
ENV ASPNETCORE_URLS= \
    DOTNET_EnableDiagnostics=0 \
    ENVIRONMENT=prod
# The base image's non-root user (uid 1654).
USER $APP_UID
# 8080: /healthz, /readyz, /metrics (HTTP). 8443: the tenant connection resolver (HTTPS only outside dev).
EXPOSE 8080 8443
ENTRYPOINT ["dotnet", "controlplane.dll"]
CMD ["run"]
