# Pulse agent installer for Windows, served by the hub as /install.ps1.
#
#   irm https://hub:7655/install.ps1 -OutFile install.ps1
#   .\install.ps1 -Url https://hub:7655 -Token <token>
#
# Downloads the agent from the hub, refuses it unless its SHA-256 matches the hub's X-Checksum-Sha256 header and it
# is a Windows executable, installs it as C:\Program Files\Pulse\pulse-agent.exe with the token in
# %ProgramData%\Pulse\token (readable by SYSTEM and Administrators only, never on a command line), and registers the
# PulseAgent service with restart-on-failure. -Uninstall reverses it and tells the hub.

[CmdletBinding()]
param(
    [string]$Url = $env:PULSE_URL,
    [string]$Token = $env:PULSE_TOKEN,
    [string]$Interval = $(if ($env:PULSE_INTERVAL) { $env:PULSE_INTERVAL } else { '30s' }),
    [string]$AgentId = $env:PULSE_AGENT_ID,
    [string]$Hostname = $env:PULSE_HOSTNAME,
    [switch]$EnableHost,
    [switch]$DisableHost,
    [switch]$EnableDocker,
    [switch]$DisableDocker,
    [switch]$EnableKubernetes,
    [switch]$DisableKubernetes,
    [string]$Kubeconfig,
    [switch]$EnableCommands,
    [switch]$DisableAutoUpdate,
    [switch]$Insecure,
    [string]$Fingerprint,
    [string[]]$DiskExclude = @(),
    [string[]]$Tag = @(),
    [switch]$Uninstall,
    [string]$InstallRoot,
    [switch]$SkipService,
    [string]$Arch
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3

function Write-Step([string]$Message) { Write-Host "pulse-install: $Message" }
function Fail([string]$Message) { Write-Error "pulse-install: error: $Message"; exit 1 }

if (Get-Variable -Name PulseDefaultAction -Scope Script -ErrorAction SilentlyContinue) {
    if ($script:PulseDefaultAction -eq 'uninstall') { $Uninstall = $true }
}

$root = if ($InstallRoot) { $InstallRoot.TrimEnd('\', '/') } else { '' }
if ($InstallRoot) { $SkipService = $true }
$programDir = "$root$env:ProgramFiles\Pulse"
$dataDir = "$root$env:ProgramData\Pulse"
$binary = Join-Path $programDir 'pulse-agent.exe'
$tokenFile = Join-Path $dataDir 'token'
$serviceName = 'PulseAgent'

if (-not $InstallRoot) {
    $principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
    if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
        Fail 'run PowerShell as Administrator'
    }
}

[Net.ServicePointManager]::SecurityProtocol = [Net.SecurityProtocolType]::Tls12
if ($Insecure) {
    [Net.ServicePointManager]::ServerCertificateValidationCallback = { $true }
} elseif ($Fingerprint) {
    $wanted = ($Fingerprint -replace ':', '').ToLowerInvariant()
    [Net.ServicePointManager]::ServerCertificateValidationCallback = {
        param($sender, $certificate, $chain, $errors)
        $sha = [Security.Cryptography.SHA256]::Create()
        $actual = -join ($sha.ComputeHash($certificate.GetRawCertData()) | ForEach-Object { $_.ToString('x2') })
        return $actual -eq $wanted
    }
}

function Test-HubUrl([string]$Value) {
    if ($Value -notmatch '^https?://[A-Za-z0-9.:_~%/\[\]-]+$') {
        Fail "-Url must start with http:// or https:// and contain no spaces or quotes (got: $Value)"
    }
}

function ConvertTo-Interval([string]$Value) {
    if ($Value -match '^[0-9]+$') { $Value = "${Value}s" }
    if ($Value -notmatch '^[1-9][0-9]*(s|m|h)$') { Fail "-Interval must be a number with an optional s, m or h (got: $Value)" }
    return $Value
}

function Stop-Agent {
    if ($SkipService) { return }
    $service = Get-Service -Name $serviceName -ErrorAction SilentlyContinue
    if ($service -and $service.Status -ne 'Stopped') { Stop-Service -Name $serviceName -Force }
}

function Invoke-HubUninstall([string]$HubUrl, [string]$HubToken) {
    $headers = @{ 'X-API-Token' = $HubToken }
    $hostId = $null
    $saved = Join-Path $dataDir 'agent-id'
    $queries = @()
    if (Test-Path $saved) { $queries += "id=$([uri]::EscapeDataString((Get-Content $saved -TotalCount 1)))" }
    $queries += "hostname=$([uri]::EscapeDataString($env:COMPUTERNAME))"
    foreach ($query in $queries) {
        try {
            $found = Invoke-RestMethod -Uri "$HubUrl/api/agents/host/lookup?$query" -Headers $headers -TimeoutSec 30
            if ($found.host.id) { $hostId = $found.host.id; break }
        } catch { }
    }
    if (-not $hostId) { Write-Step 'the hub does not list this host'; return }
    $body = @{ hostId = $hostId } | ConvertTo-Json -Compress
    Invoke-RestMethod -Method Post -Uri "$HubUrl/api/agents/host/uninstall" -Headers $headers -Body $body `
        -ContentType 'application/json' -TimeoutSec 30 | Out-Null
    Write-Step "the hub removed host $hostId"
}

if ($Uninstall) {
    if (-not $Url -and (Test-Path (Join-Path $dataDir 'install.conf'))) {
        $Url = ((Get-Content (Join-Path $dataDir 'install.conf') | Where-Object { $_ -like 'url=*' } | Select-Object -First 1) -replace '^url=', '')
    }
    if (-not $Token -and (Test-Path $tokenFile)) { $Token = (Get-Content $tokenFile -TotalCount 1).Trim() }
    if ($Url -and $Token) {
        Test-HubUrl $Url
        try { Invoke-HubUninstall $Url.TrimEnd('/') $Token } catch { Write-Step "could not tell the hub: $($_.Exception.Message)" }
    } else {
        Write-Step 'no hub URL or token known; the host stays listed in the hub until removed there'
    }
    Stop-Agent
    if (-not $SkipService -and (Get-Service -Name $serviceName -ErrorAction SilentlyContinue)) { & sc.exe delete $serviceName | Out-Null }
    foreach ($legacy in 'PulseHostAgent', 'PulseDockerAgent') {
        if (-not $SkipService -and (Get-Service -Name $legacy -ErrorAction SilentlyContinue)) {
            Stop-Service -Name $legacy -Force -ErrorAction SilentlyContinue
            & sc.exe delete $legacy | Out-Null
        }
    }
    Remove-Item -Recurse -Force -ErrorAction SilentlyContinue $programDir, $dataDir
    Write-Step 'the Pulse agent is uninstalled'
    exit 0
}

if (-not $Url) { Fail '-Url is required (the hub address, e.g. https://pulse.example.com:7655)' }
if (-not $Token) { Fail '-Token is required (create one in the hub: Settings, Agents)' }
Test-HubUrl $Url
$Url = $Url.TrimEnd('/')
if ($Token -notmatch '^[A-Za-z0-9._~+/=-]{16,512}$') { Fail '-Token does not look like a Pulse API token' }
$Interval = ConvertTo-Interval $Interval
if ($AgentId -and $AgentId -notmatch '^[A-Za-z0-9._:-]{1,128}$') { Fail "-AgentId may contain only letters, digits, '.', '_', ':' and '-'" }
foreach ($pattern in $DiskExclude) {
    if ($pattern -notmatch '^[A-Za-z0-9_./*?:\\-]{1,256}$') { Fail "-DiskExclude `"$pattern`" contains characters that are not allowed" }
}

$machine = if ($Arch) { $Arch } else { $env:PROCESSOR_ARCHITECTURE }
$archName = switch -Regex ($machine) {
    '^(AMD64|amd64|x86_64)$' { 'windows-amd64' }
    '^(ARM64|arm64)$' { 'windows-arm64' }
    '^(x86|386)$' { 'windows-386' }
    default { Fail "unsupported architecture: $machine" }
}
Write-Step "installing the Pulse agent for $archName from $Url"

$work = Join-Path ([IO.Path]::GetTempPath()) ("pulse-install-" + [guid]::NewGuid())
New-Item -ItemType Directory -Path $work | Out-Null
try {
    $download = Join-Path $work 'pulse-agent.exe'
    $response = Invoke-WebRequest -Uri "$Url/download/pulse-agent?arch=$archName" -OutFile $download -PassThru -UseBasicParsing -TimeoutSec 300
    $expected = $response.Headers['X-Checksum-Sha256']
    if ($expected -is [array]) { $expected = $expected[0] }
    if (-not $expected -or $expected -notmatch '^[0-9a-fA-F]{64}$') {
        Fail 'the hub did not send an X-Checksum-Sha256 header; refusing an unverified binary'
    }
    $actual = (Get-FileHash -Algorithm SHA256 -Path $download).Hash.ToLowerInvariant()
    if ($actual -ne $expected.ToLowerInvariant()) {
        Fail "checksum mismatch: the hub announced $expected but the download is $actual; refusing it"
    }
    $magic = [IO.File]::ReadAllBytes($download)[0..1]
    if ($magic[0] -ne 0x4D -or $magic[1] -ne 0x5A) { Fail 'the download is not a Windows executable; refusing it' }
    Write-Step "downloaded $((Get-Item $download).Length) bytes, SHA-256 verified"

    Stop-Agent
    New-Item -ItemType Directory -Force -Path $programDir, $dataDir | Out-Null
    Copy-Item -Force $download "$binary.new"
    Move-Item -Force "$binary.new" $binary

    Set-Content -Path $tokenFile -Value $Token -NoNewline -Encoding ascii
    Set-Content -Path (Join-Path $dataDir 'install.conf') -Value "url=$Url" -Encoding ascii
    if ($AgentId) { Set-Content -Path (Join-Path $dataDir 'agent-id') -Value $AgentId -Encoding ascii }
    if (-not $InstallRoot) {
        # SYSTEM and Administrators only.
        & icacls.exe $dataDir /inheritance:r /grant:r 'SYSTEM:(OI)(CI)F' 'Administrators:(OI)(CI)F' | Out-Null
    }

    $arguments = @('--url', $Url, '--interval', $Interval, '--token-file', $tokenFile)
    if ($DisableHost) { $arguments += '--enable-host=false' }
    if ($EnableDocker -and -not $DisableDocker) { $arguments += '--enable-docker' }
    if ($EnableKubernetes -and -not $DisableKubernetes) { $arguments += '--enable-kubernetes' }
    if ($Kubeconfig) { $arguments += @('--kubeconfig', $Kubeconfig) }
    if ($EnableCommands) { $arguments += '--enable-commands' }
    if ($DisableAutoUpdate) { $arguments += '--disable-auto-update' }
    if ($Insecure) { $arguments += '--insecure' }
    if ($Fingerprint) { $arguments += @('--fingerprint', $Fingerprint) }
    if ($AgentId) { $arguments += @('--agent-id', $AgentId) }
    if ($Hostname) { $arguments += @('--hostname', $Hostname) }
    foreach ($pattern in $DiskExclude) { $arguments += @('--disk-exclude', $pattern) }
    foreach ($value in $Tag) { $arguments += @('--tag', $value) }
    $quoted = ($arguments | ForEach-Object { '"' + ($_ -replace '"', '\"') + '"' }) -join ' '
    Set-Content -Path (Join-Path $dataDir 'service-command.txt') -Value "`"$binary`" $quoted" -Encoding ascii

    if (-not $SkipService) {
        if (Get-Service -Name $serviceName -ErrorAction SilentlyContinue) { & sc.exe delete $serviceName | Out-Null; Start-Sleep -Seconds 2 }
        New-Service -Name $serviceName -BinaryPathName "`"$binary`" $quoted" -DisplayName 'Pulse Agent' `
            -Description 'Pulse monitoring agent' -StartupType Automatic | Out-Null
        & sc.exe failure $serviceName reset= 86400 actions= restart/5000/restart/5000/restart/5000 | Out-Null
        Start-Service -Name $serviceName
        Write-Step "installed and started; check it with: Get-Service $serviceName"
    } else {
        Write-Step 'installed (service not registered)'
    }
} finally {
    Remove-Item -Recurse -Force -ErrorAction SilentlyContinue $work
}
