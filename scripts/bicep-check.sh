#!/usr/bin/env bash
# Compiles and lints infra/ with the real Bicep CLI: `bicep build` and `bicep lint` on main.bicep and
# every module (a module's warnings are not reported when main.bicep is built, so every file is built
# itself). The CLI comes from NuGet only: restoring infra/tools/BicepCli.proj puts
# Azure.Bicep.CommandLine.linux-x64 (version in Directory.Packages.props) in the global packages folder.
#
# Any error or warning fails: both commands exit 0 on warnings (compiler BCPxxx ones such as a
# property of the wrong type as well as linter rules), but a clean file makes the CLI print nothing,
# so a non-zero exit code or any output at all is a failure, and the output is shown.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
source "$root/scripts/env.sh"

package=azure.bicep.commandline.linux-x64
version="$(sed -n 's/.*Include="Azure\.Bicep\.CommandLine\.linux-x64" Version="\([^"]*\)".*/\1/p' Directory.Packages.props)"
if [ -z "$version" ]; then echo "bicep-check: no Azure.Bicep.CommandLine.linux-x64 version in Directory.Packages.props" >&2; exit 1; fi

if ! restore_output="$(dotnet restore infra/tools/BicepCli.proj --nologo -v quiet 2>&1)"; then
  echo "$restore_output" >&2
  echo "bicep-check: restoring infra/tools/BicepCli.proj failed" >&2
  exit 1
fi
packages="$(dotnet nuget locals global-packages --list | sed -n 's/^global-packages: *//p')"
bicep="${packages%/}/$package/$version/tools/bicep"
if [ ! -f "$bicep" ]; then echo "bicep-check: $bicep not found after the restore" >&2; exit 1; fi
[ -x "$bicep" ] || chmod +x "$bicep"
"$bicep" --version | grep -q "version $version " || { echo "bicep-check: $bicep is not version $version" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# One CLI process per command over every file (a process per file takes five times as long).
status=0
for command in build lint; do
  if [ "$command" = build ]; then args=(build --pattern 'infra/**/*.bicep' --outdir "$work"); else args=(lint --pattern 'infra/**/*.bicep'); fi
  if output="$("$bicep" "${args[@]}" 2>&1)" && [ -z "$output" ]; then continue; fi
  status=1
  echo "bicep-check: bicep $command:" >&2
  echo "${output:-(no output, non-zero exit code)}" | awk '!seen[$0]++' >&2 # the CLI prints each diagnostic twice
done
for file in infra/main.bicep infra/modules/*.bicep; do
  compiled="$work/${file#infra/}"
  if [ "$status" -eq 0 ] && [ -s "${compiled%.bicep}.json" ]; then
    echo "bicep $version: $file builds and lints clean"
  elif [ "$status" -eq 0 ]; then
    echo "bicep-check: bicep build wrote nothing for $file" >&2
    status=1
  fi
done
if [ "$status" -ne 0 ]; then echo "bicep-check: infra/ has errors or warnings (above)" >&2; fi
exit "$status"
