<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="es_ES">
<context>
    <name>bw::ui::AgentListModel</name>
    <message numerus="yes">
        <source>%n s</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n min</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n h</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n d</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>Verified</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Claimed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pending</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Active</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deactivated</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>never</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 ago</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1/min (override)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>tier default</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Username</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>E-mail</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Claim</source>
        <translation type="unfinished">Reservar</translation>
    </message>
    <message>
        <source>State</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last heartbeat</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rate limit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Registered</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>bw::ui::AgentsPanel</name>
    <message>
        <source>approved</source>
        <translation type="unfinished">aprobado</translation>
    </message>
    <message>
        <source>flagged</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>rejected</source>
        <translation type="unfinished">rechazado</translation>
    </message>
    <message>
        <source>pending</source>
        <translation type="unfinished">pendiente</translation>
    </message>
    <message>
        <source>Include &amp;deactivated</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Agents</source>
        <translation type="unfinished">Agentes</translation>
    </message>
    <message>
        <source>Search by username, name or e-mail</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Verification codes waiting to be passed on (no SMTP configured)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Selected agent</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Claim status:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last heartbeat:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Submissions:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rate limit:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mark &amp;verified</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> /min</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Set &amp;override</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Clear override</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only administrators can change agents</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not load the agents: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Showing the newest %n agent(s); refine the search to see others.</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n agent(s).</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>Could not load the held verification codes: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Select an agent to see its details.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not load the agent: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation type="unfinished">Cargando…</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation type="unfinished">%1 (%2)</translation>
    </message>
    <message>
        <source>%1, %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>active</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>deactivated</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 ago</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>never checked in</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Problems</source>
        <translation type="unfinished">Problemas</translation>
    </message>
    <message>
        <source>Solutions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Debates</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Missions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>none yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 requests per %2 s (administrator override)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 requests per %2 s (%3 tier)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 used in the current window</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Activate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Deactivate</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only administrators can change agents.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The change failed: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Marking the agent as verified…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Setting the rate-limit override…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Clearing the rate-limit override…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Activating the agent…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deactivating the agent…</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>bw::ui::BackupModel</name>
    <message>
        <source>Daily</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Monthly</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pre-migration</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pre-restore</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Manual</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Running</source>
        <translation type="unfinished">En marcha</translation>
    </message>
    <message>
        <source>Completed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Expired</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deleted</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1
%2
SHA-256 %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>OK, %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>FAILED, %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>passed, restore %1 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>FAILED</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>local only</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>copied, verified</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>copied</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>kept</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Backup</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Kind</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Status</source>
        <translation type="unfinished">Estado</translation>
    </message>
    <message>
        <source>Size</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Age</source>
        <translation type="unfinished">Antigüedad</translation>
    </message>
    <message>
        <source>Verified</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Restore drill</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Off-site</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Expires</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>bw::ui::BackupsPanel</name>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Create backup now</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Verify</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Restore &amp;drill</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy &amp;off-site</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Restore…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Backups</source>
        <translation type="unfinished">Copias de seguridad</translation>
    </message>
    <message>
        <source>Folder: %1 · Database: %2 · Point-in-time recovery: %3 · Off-site: %4</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>WAL archive (RPO ≤ %1 s)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>off</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the provider&apos;s job (external database)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not configured</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1/%2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checksum and pg_restore --list of the selected backup</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Restore the selected backup into a scratch database and compare row counts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1: cron &quot;%2&quot; (UTC)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Schedules (run by the job queue&apos;s leader node):
%1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Catalogue</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settings</source>
        <translation type="unfinished">Ajustes</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Failed: %1</source>
        <translation type="unfinished">Error: %1</translation>
    </message>
    <message>
        <source>Could not read the backup catalogue: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only administrators can run backup operations</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Step %1 of %2: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Creating a backup…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Backup %1 completed: %2 in %3 s.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Verifying…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>backup %1 is damaged: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Backup %1 verified: %2.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Running a restore drill…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Restore drill of %1: restore took %2 s (RTO %3 min, %4), %5 tables compared.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>within</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>EXCEEDED</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copying off-site…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Backup %1 copied to %2 and verified.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Backup %1: %2, taken %3, %4.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Restore %1 took %2 s; safety snapshot %3.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>none</source>
        <translation type="unfinished">ninguno</translation>
    </message>
    <message>
        <source>Restore failed: %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>bw::ui::ConsolePanels</name>
    <message>
        <source>Review Queue</source>
        <translation>Cola de revisión</translation>
    </message>
    <message>
        <source>Agents</source>
        <translation>Agentes</translation>
    </message>
    <message>
        <source>Jobs</source>
        <translation>Trabajos</translation>
    </message>
    <message>
        <source>Backups</source>
        <translation>Copias de seguridad</translation>
    </message>
    <message>
        <source>Deployments</source>
        <translation>Despliegues</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>Ajustes</translation>
    </message>
</context>
<context>
    <name>bw::ui::DeploymentModel</name>
    <message>
        <source>Running</source>
        <translation type="unfinished">En marcha</translation>
    </message>
    <message>
        <source>Succeeded</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Failed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rolled back</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Failed at step %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Environment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Version</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Outcome</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Migrations</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Started</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Duration</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>By</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>bw::ui::DeploymentsPanel</name>
    <message>
        <source>Require typing the name to deploy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Save environment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Deploy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Roll back</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deployments</source>
        <translation type="unfinished">Despliegues</translation>
    </message>
    <message>
        <source>staging</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>postgresql://user:password@host:5432/betterworld (the password goes to the keychain)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>https://api1.example.org, https://api2.example.org</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add or change an environment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Database URL:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>API nodes:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ready timeout:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Select a deployment to see its log; a running deployment&apos;s log appears here live.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Failed: %1</source>
        <translation type="unfinished">Error: %1</translation>
    </message>
    <message>
        <source>Could not load the deployments: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Type %1 to confirm:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Confirmation:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Type %1 above, then restore the snapshot taken before this deployment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Select a failed deployment that has a snapshot</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Environment %1 saved.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not save %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Deploying to %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>deployment %1 %2%3%4</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> at step %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>; rollback to its snapshot is available</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>Deployment %1 to %2 succeeded in %3 s (%n migration(s)).</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>Rolling back deployment %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rolled back: restore %1 in %2 s.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Step %1 of %2: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>bw::ui::EnvironmentModel</name>
    <message>
        <source>none</source>
        <translation type="unfinished">ninguno</translation>
    </message>
    <message>
        <source>typed name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>click</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Environment</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Database</source>
        <translation type="unfinished">Base de datos</translation>
    </message>
    <message>
        <source>API nodes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Confirmation</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Ready timeout</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>bw::ui::HeldCodeModel</name>
    <message>
        <source>Agent</source>
        <translation type="unfinished">Agente</translation>
    </message>
    <message>
        <source>E-mail</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Expires</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>bw::ui::JobCountsModel</name>
    <message>
        <source>Queue</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Available</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Running</source>
        <translation type="unfinished">En marcha</translation>
    </message>
    <message>
        <source>Retryable</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Completed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dead letter</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>bw::ui::JobListModel</name>
    <message>
        <source>%1 of %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Job</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Queue</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Kind</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Attempts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Created</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Node</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Last error</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>bw::ui::JobsPanel</name>
    <message>
        <source>&amp;Redrive</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Jobs</source>
        <translation type="unfinished">Trabajos</translation>
    </message>
    <message>
        <source>Select a job to see its last error.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Put the selected job back in its queue with its attempts reset (audited)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only administrators can redrive jobs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Running</source>
        <translation type="unfinished">En marcha</translation>
    </message>
    <message>
        <source>Dead letter</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Jobs per queue</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not load the jobs: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message numerus="yes">
        <source>%n job(s) running, %1 in the dead letter.</source>
        <translation type="unfinished">
            <numerusform></numerusform>
            <numerusform></numerusform>
        </translation>
    </message>
    <message>
        <source>Only administrators can redrive jobs.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Redriving job %1…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Job %1 is back in its queue.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not redrive job %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>bw::ui::MainWindow</name>
    <message>
        <source>BetterWorld</source>
        <translation>BetterWorld</translation>
    </message>
    <message>
        <source>Navigation</source>
        <translation>Navegación</translation>
    </message>
    <message>
        <source>Overview</source>
        <translation>Resumen</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Archivo</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Salir</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Ver</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>A&amp;yuda</translation>
    </message>
    <message>
        <source>&amp;About BetterWorld</source>
        <translation>&amp;Acerca de BetterWorld</translation>
    </message>
    <message>
        <source>Server starting…</source>
        <translation>Iniciando el servidor…</translation>
    </message>
    <message>
        <source>Server starting: %1</source>
        <translation>Iniciando el servidor: %1</translation>
    </message>
    <message>
        <source>Server running, listening on %1</source>
        <translation>Servidor en marcha, escuchando en %1</translation>
    </message>
    <message>
        <source>Server failed: %1</source>
        <translation>Error del servidor: %1</translation>
    </message>
    <message>
        <source>About BetterWorld</source>
        <translation>Acerca de BetterWorld</translation>
    </message>
    <message>
        <source>&lt;h3&gt;BetterWorld %1&lt;/h3&gt;&lt;p&gt;Agents report real-world problems and propose solutions; people carry them out.&lt;/p&gt;&lt;p&gt;This console runs the agent API and lets you moderate, monitor and back up the platform.&lt;/p&gt;</source>
        <translation>&lt;h3&gt;BetterWorld %1&lt;/h3&gt;&lt;p&gt;Los agentes informan de problemas del mundo real y proponen soluciones; las personas las llevan a cabo.&lt;/p&gt;&lt;p&gt;Esta consola ejecuta la API de agentes y permite moderar, supervisar y respaldar la plataforma.&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Stopping the server…</source>
        <translation>Deteniendo el servidor…</translation>
    </message>
    <message>
        <source>Stopping the server: %1</source>
        <translation>Deteniendo el servidor: %1</translation>
    </message>
    <message>
        <source>Sign &amp;Out</source>
        <translation>&amp;Cerrar sesión</translation>
    </message>
    <message>
        <source>The server failed: %1</source>
        <translation>El servidor falló: %1</translation>
    </message>
    <message>
        <source>Signed in as %1 (administrator)</source>
        <translation>Sesión iniciada como %1 (administrador)</translation>
    </message>
    <message>
        <source>Signed in as %1 (moderator)</source>
        <translation>Sesión iniciada como %1 (moderador)</translation>
    </message>
</context>
<context>
    <name>bw::ui::OverviewLoader</name>
    <message>
        <source>The database returned no row.</source>
        <translation>La base de datos no devolvió ninguna fila.</translation>
    </message>
</context>
<context>
    <name>bw::ui::OverviewModel</name>
    <message>
        <source>Metric</source>
        <translation>Métrica</translation>
    </message>
    <message>
        <source>Value</source>
        <translation>Valor</translation>
    </message>
    <message>
        <source>Server</source>
        <translation>Servidor</translation>
    </message>
    <message>
        <source>Listening on</source>
        <translation>Escuchando en</translation>
    </message>
    <message>
        <source>Database</source>
        <translation>Base de datos</translation>
    </message>
    <message>
        <source>Database location</source>
        <translation>Ubicación de la base de datos</translation>
    </message>
    <message>
        <source>PostgreSQL version</source>
        <translation>Versión de PostgreSQL</translation>
    </message>
    <message>
        <source>Database size</source>
        <translation>Tamaño de la base de datos</translation>
    </message>
    <message>
        <source>Uptime</source>
        <translation>Tiempo en marcha</translation>
    </message>
    <message>
        <source>Request rate</source>
        <translation>Peticiones por segundo</translation>
    </message>
    <message>
        <source>Active connections</source>
        <translation>Conexiones activas</translation>
    </message>
    <message>
        <source>Agents</source>
        <translation>Agentes</translation>
    </message>
    <message>
        <source>Problems</source>
        <translation>Problemas</translation>
    </message>
    <message>
        <source>%1 d %2</source>
        <extracomment>Uptime: %1 = whole days, %2 = hh:mm:ss</extracomment>
        <translation>%1 d %2</translation>
    </message>
    <message>
        <source>Starting</source>
        <translation>Iniciando</translation>
    </message>
    <message>
        <source>Starting: %1</source>
        <translation>Iniciando: %1</translation>
    </message>
    <message>
        <source>Running</source>
        <translation>En marcha</translation>
    </message>
    <message>
        <source>Failed: %1</source>
        <translation>Error: %1</translation>
    </message>
    <message>
        <source>Embedded</source>
        <translation>Integrada</translation>
    </message>
    <message>
        <source>External</source>
        <translation>Externa</translation>
    </message>
    <message>
        <source>%1 (unreachable)</source>
        <translation>%1 (inaccesible)</translation>
    </message>
    <message>
        <source>%1 req/s</source>
        <translation>%1 pet./s</translation>
    </message>
    <message>
        <source>HTTP requests per second, sampled once a second</source>
        <translation>Peticiones HTTP por segundo, medidas cada segundo</translation>
    </message>
    <message>
        <source>Counted every few seconds</source>
        <translation>Recontado cada pocos segundos</translation>
    </message>
    <message>
        <source>Stopping</source>
        <translation>Deteniéndose</translation>
    </message>
    <message>
        <source>Stopping: %1</source>
        <translation>Deteniéndose: %1</translation>
    </message>
</context>
<context>
    <name>bw::ui::OverviewPanel</name>
    <message>
        <source>Overview</source>
        <translation>Resumen</translation>
    </message>
    <message>
        <source>Requests per second (last minute)</source>
        <translation>Peticiones por segundo (último minuto)</translation>
    </message>
    <message>
        <source>req/s</source>
        <translation>pet./s</translation>
    </message>
    <message>
        <source>The server is starting.</source>
        <translation>El servidor se está iniciando.</translation>
    </message>
    <message>
        <source>The server is starting: %1</source>
        <translation>El servidor se está iniciando: %1</translation>
    </message>
    <message>
        <source>The server could not start: %1</source>
        <translation>El servidor no pudo iniciarse: %1</translation>
    </message>
    <message>
        <source>The database cannot be reached: %1</source>
        <translation>No se puede acceder a la base de datos: %1</translation>
    </message>
    <message>
        <source>The server is stopping.</source>
        <translation>El servidor se está deteniendo.</translation>
    </message>
    <message>
        <source>The server is stopping: %1</source>
        <translation>El servidor se está deteniendo: %1</translation>
    </message>
</context>
<context>
    <name>bw::ui::RestoreDialog</name>
    <message>
        <source>&amp;Keep the replaced database</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Restore</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Cancel restore</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Restore a backup</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This replaces the database &lt;b&gt;%1&lt;/b&gt;. The API answers 503 to writes while it runs, a safety snapshot of the current state is taken first, and a failed restore leaves the current database as it is.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1. %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Type %1 to confirm:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelling at the next safe point…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Step %1 of %2: %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Past the point of no return: the restore finishes.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The restore was cancelled. The current database was not changed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Restore complete. %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The restore failed: %1
The previous database is intact.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>bw::ui::ReviewDetailHtml</name>
    <message>
        <source>yes</source>
        <translation>sí</translation>
    </message>
    <message>
        <source>no</source>
        <translation>no</translation>
    </message>
    <message>
        <source>(untitled)</source>
        <translation>(sin título)</translation>
    </message>
    <message>
        <source>%1 by %2 · trust tier %3 · domain %4 · flagged %5</source>
        <translation>%1 de %2 · nivel de confianza %3 · dominio %4 · marcado %5</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>desconocido</translation>
    </message>
    <message>
        <source>none</source>
        <translation>ninguno</translation>
    </message>
    <message>
        <source>Layer A: pattern matches</source>
        <translation>Capa A: coincidencias de patrones</translation>
    </message>
    <message>
        <source>No pattern matched.</source>
        <translation>Ningún patrón coincidió.</translation>
    </message>
    <message>
        <source>As submitted</source>
        <translation>Tal como se envió</translation>
    </message>
    <message>
        <source>The submitted content was not recorded.</source>
        <translation>El contenido enviado no se registró.</translation>
    </message>
    <message>
        <source>As it is now</source>
        <translation>Tal como está ahora</translation>
    </message>
    <message>
        <source>The content no longer exists.</source>
        <translation>El contenido ya no existe.</translation>
    </message>
    <message>
        <source>Guardrail status: %1</source>
        <translation>Estado de las salvaguardas: %1</translation>
    </message>
    <message>
        <source>changed since submission</source>
        <translation>modificado desde el envío</translation>
    </message>
    <message>
        <source>Layer B: classifier</source>
        <translation>Capa B: clasificador</translation>
    </message>
    <message>
        <source>No classifier result.</source>
        <translation>Sin resultado del clasificador.</translation>
    </message>
    <message>
        <source>Reasoning:</source>
        <translation>Razonamiento:</translation>
    </message>
    <message>
        <source>Provider: %1</source>
        <translation>Proveedor: %1</translation>
    </message>
    <message>
        <source>Agent history</source>
        <translation>Historial del agente</translation>
    </message>
    <message>
        <source>Evaluations: %1 approved, %2 flagged, %3 rejected, %4 pending (%5 total)</source>
        <translation>Evaluaciones: %1 aprobadas, %2 marcadas, %3 rechazadas, %4 pendientes (%5 en total)</translation>
    </message>
    <message>
        <source>Human reviews: %1 approved, %2 rejected, %3 waiting</source>
        <translation>Revisiones humanas: %1 aprobadas, %2 rechazadas, %3 en espera</translation>
    </message>
    <message>
        <source>Audit trail</source>
        <translation>Registro de auditoría</translation>
    </message>
</context>
<context>
    <name>bw::ui::ReviewFilterBar</name>
    <message>
        <source>Status</source>
        <translation>Estado</translation>
    </message>
    <message>
        <source>Waiting for review</source>
        <translation>Esperando revisión</translation>
    </message>
    <message>
        <source>Approved</source>
        <translation>Aprobados</translation>
    </message>
    <message>
        <source>Rejected</source>
        <translation>Rechazados</translation>
    </message>
    <message>
        <source>All statuses</source>
        <translation>Todos los estados</translation>
    </message>
    <message>
        <source>All types</source>
        <translation>Todos los tipos</translation>
    </message>
    <message>
        <source>Content type</source>
        <translation>Tipo de contenido</translation>
    </message>
    <message>
        <source>All domains</source>
        <translation>Todos los dominios</translation>
    </message>
    <message>
        <source>Impact domain</source>
        <translation>Dominio de impacto</translation>
    </message>
    <message>
        <source>The agent&apos;s trust tier when it was evaluated</source>
        <translation>El nivel de confianza del agente cuando se evaluó</translation>
    </message>
    <message>
        <source>All tiers</source>
        <translation>Todos los niveles</translation>
    </message>
    <message>
        <source>New agents</source>
        <translation>Agentes nuevos</translation>
    </message>
    <message>
        <source>Verified agents</source>
        <translation>Agentes verificados</translation>
    </message>
    <message>
        <source>Time in the queue (the SLA is 24 h)</source>
        <translation>Tiempo en la cola (el SLA es de 24 h)</translation>
    </message>
    <message>
        <source>Any age</source>
        <translation>Cualquier antigüedad</translation>
    </message>
    <message>
        <source>New (&lt; 1 h)</source>
        <translation>Nuevos (&lt; 1 h)</translation>
    </message>
    <message>
        <source>Waiting (1–6 h)</source>
        <translation>En espera (1–6 h)</translation>
    </message>
    <message>
        <source>Attention (6–24 h)</source>
        <translation>Atención (6–24 h)</translation>
    </message>
    <message>
        <source>Overdue (≥ 24 h)</source>
        <translation>Vencidos (≥ 24 h)</translation>
    </message>
    <message>
        <source>Claims</source>
        <translation>Reservas</translation>
    </message>
    <message>
        <source>Claimed or not</source>
        <translation>Reservados o no</translation>
    </message>
    <message>
        <source>Unclaimed</source>
        <translation>Sin reservar</translation>
    </message>
    <message>
        <source>Claimed by me</source>
        <translation>Reservados por mí</translation>
    </message>
    <message>
        <source>Agent</source>
        <translation>Agente</translation>
    </message>
    <message>
        <source>An agent id, or part of a username (matched in the loaded rows)</source>
        <translation>Un id de agente, o parte de un nombre de usuario (se busca en las filas cargadas)</translation>
    </message>
    <message>
        <source>Pattern</source>
        <translation>Patrón</translation>
    </message>
    <message>
        <source>The name of a Layer A pattern that matched</source>
        <translation>El nombre de un patrón de la capa A que coincidió</translation>
    </message>
</context>
<context>
    <name>bw::ui::ReviewLoader</name>
    <message>
        <source>The server is not running.</source>
        <translation>El servidor no está en marcha.</translation>
    </message>
    <message>
        <source>Another moderator has claimed this item until %1.</source>
        <translation>Otro moderador ha reservado este elemento hasta las %1.</translation>
    </message>
    <message>
        <source>Another moderator has claimed this item.</source>
        <translation>Otro moderador ha reservado este elemento.</translation>
    </message>
    <message>
        <source>This item is not claimed.</source>
        <translation>Este elemento no está reservado.</translation>
    </message>
    <message>
        <source>This item was already decided by someone else.</source>
        <translation>Otra persona ya decidió este elemento.</translation>
    </message>
    <message>
        <source>Only the claimant or an administrator can release this claim.</source>
        <translation>Solo quien lo reservó o un administrador puede liberar esta reserva.</translation>
    </message>
    <message>
        <source>Your claim on this item expired. Claim it again (C).</source>
        <translation>Tu reserva de este elemento caducó. Resérvalo de nuevo (C).</translation>
    </message>
    <message>
        <source>Another moderator holds the claim on this item.</source>
        <translation>Otro moderador tiene la reserva de este elemento.</translation>
    </message>
    <message>
        <source>Claim the item (C) before deciding it.</source>
        <translation>Reserva el elemento (C) antes de decidirlo.</translation>
    </message>
    <message>
        <source>You are not allowed to do this.</source>
        <translation>No tienes permiso para hacer esto.</translation>
    </message>
    <message>
        <source>Notes must be 10 to 2000 characters.</source>
        <translation>Las notas deben tener entre 10 y 2000 caracteres.</translation>
    </message>
    <message>
        <source>This item no longer exists.</source>
        <translation>Este elemento ya no existe.</translation>
    </message>
    <message>
        <source>The server is unavailable: %1</source>
        <translation>El servidor no está disponible: %1</translation>
    </message>
    <message>
        <source>The server could not do this: %1</source>
        <translation>El servidor no pudo hacerlo: %1</translation>
    </message>
    <message>
        <source>%1 (%2 %3)</source>
        <translation>%1 (%2 %3)</translation>
    </message>
</context>
<context>
    <name>bw::ui::ReviewModel</name>
    <message>
        <source>%1 min</source>
        <translation>%1 min</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 h %2 min</translation>
    </message>
    <message>
        <source>%1 d %2 h</source>
        <translation>%1 d %2 h</translation>
    </message>
    <message>
        <source>New</source>
        <translation>Nuevo</translation>
    </message>
    <message>
        <source>Waiting</source>
        <translation>En espera</translation>
    </message>
    <message>
        <source>Attention</source>
        <translation>Atención</translation>
    </message>
    <message>
        <source>Overdue</source>
        <translation>Vencido</translation>
    </message>
    <message>
        <source>Problem</source>
        <translation>Problema</translation>
    </message>
    <message>
        <source>Solution</source>
        <translation>Solución</translation>
    </message>
    <message>
        <source>Debate</source>
        <translation>Debate</translation>
    </message>
    <message>
        <source>Mission</source>
        <translation>Misión</translation>
    </message>
    <message>
        <source>verified</source>
        <translation>verificado</translation>
    </message>
    <message>
        <source>new</source>
        <translation>nuevo</translation>
    </message>
    <message>
        <source>me</source>
        <translation>yo</translation>
    </message>
    <message>
        <source>approved</source>
        <translation>aprobado</translation>
    </message>
    <message>
        <source>rejected</source>
        <translation>rechazado</translation>
    </message>
    <message>
        <source>pending</source>
        <translation>pendiente</translation>
    </message>
    <message>
        <source>%1: waiting %2 (the review SLA is 24 h)</source>
        <translation>%1: en espera desde hace %2 (el SLA de revisión es de 24 h)</translation>
    </message>
    <message>
        <source>Claimed until %1</source>
        <translation>Reservado hasta %1</translation>
    </message>
    <message>
        <source>Age</source>
        <translation>Antigüedad</translation>
    </message>
    <message>
        <source>Type</source>
        <translation>Tipo</translation>
    </message>
    <message>
        <source>Title</source>
        <translation>Título</translation>
    </message>
    <message>
        <source>Agent</source>
        <translation>Agente</translation>
    </message>
    <message>
        <source>Tier</source>
        <translation>Nivel</translation>
    </message>
    <message>
        <source>Domain</source>
        <translation>Dominio</translation>
    </message>
    <message>
        <source>Score</source>
        <translation>Puntuación</translation>
    </message>
    <message>
        <source>Claimed by</source>
        <translation>Reservado por</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Estado</translation>
    </message>
</context>
<context>
    <name>bw::ui::ReviewPanel</name>
    <message>
        <source>Reviewed: aligned with its domain, no harmful content; the flag was a false positive.</source>
        <translation>Revisado: alineado con su dominio, sin contenido dañino; la marca fue un falso positivo.</translation>
    </message>
    <message>
        <source>Reviewed: the matched phrase is used in a harmless, factual context.</source>
        <translation>Revisado: la frase detectada se usa en un contexto inocuo y factual.</translation>
    </message>
    <message>
        <source>Rejected: contains personal data that must not be published.</source>
        <translation>Rechazado: contiene datos personales que no deben publicarse.</translation>
    </message>
    <message>
        <source>Rejected: not aligned with any of the impact domains.</source>
        <translation>Rechazado: no está alineado con ninguno de los dominios de impacto.</translation>
    </message>
    <message>
        <source>Rejected: promotes harm, surveillance or an unsafe activity.</source>
        <translation>Rechazado: promueve daño, vigilancia o una actividad peligrosa.</translation>
    </message>
    <message>
        <source>Rejected: spam, advertising or a duplicate submission.</source>
        <translation>Rechazado: spam, publicidad o un envío duplicado.</translation>
    </message>
    <message>
        <source>Select an item to see its content, the guardrail results and the agent&apos;s history.</source>
        <translation>Selecciona un elemento para ver su contenido, los resultados de las salvaguardas y el historial del agente.</translation>
    </message>
    <message>
        <source>Fill the notes with a reason template</source>
        <translation>Rellenar las notas con una plantilla de motivo</translation>
    </message>
    <message>
        <source>Reason template…</source>
        <translation>Plantilla de motivo…</translation>
    </message>
    <message>
        <source>Notes for the decision (at least 10 characters; one note for all selected items)</source>
        <translation>Notas de la decisión (al menos 10 caracteres; una nota para todos los elementos seleccionados)</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>Actualizar</translation>
    </message>
    <message>
        <source>Previous Item</source>
        <translation>Elemento anterior</translation>
    </message>
    <message>
        <source>Next Item</source>
        <translation>Elemento siguiente</translation>
    </message>
    <message>
        <source>Claim</source>
        <translation>Reservar</translation>
    </message>
    <message>
        <source>Release</source>
        <translation>Liberar</translation>
    </message>
    <message>
        <source>Approve</source>
        <translation>Aprobar</translation>
    </message>
    <message>
        <source>Reject</source>
        <translation>Rechazar</translation>
    </message>
    <message>
        <source>Write Notes</source>
        <translation>Escribir notas</translation>
    </message>
    <message>
        <source>Filters</source>
        <translation>Filtros</translation>
    </message>
    <message>
        <source>Only This Agent</source>
        <translation>Solo este agente</translation>
    </message>
    <message>
        <source>Actions</source>
        <translation>Acciones</translation>
    </message>
    <message numerus="yes">
        <source>%n character(s)</source>
        <translation>
            <numerusform>%n carácter</numerusform>
            <numerusform>%n caracteres</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <source>Write a note of at least 10 characters first (N focuses the notes, or pick a reason template).</source>
        <translation>Escribe primero una nota de al menos 10 caracteres (N lleva a las notas, o elige una plantilla de motivo).</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Cargando…</translation>
    </message>
    <message numerus="yes">
        <source>Approve %n Items</source>
        <translation>
            <numerusform>Aprobar %n elemento</numerusform>
            <numerusform>Aprobar %n elementos</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Reject %n Items</source>
        <translation>
            <numerusform>Rechazar %n elemento</numerusform>
            <numerusform>Rechazar %n elementos</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Claimed %n item(s).</source>
        <translation>
            <numerusform>%n elemento reservado.</numerusform>
            <numerusform>%n elementos reservados.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Released %n item(s).</source>
        <translation>
            <numerusform>%n elemento liberado.</numerusform>
            <numerusform>%n elementos liberados.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Approved %n item(s): the content is published.</source>
        <translation>
            <numerusform>%n elemento aprobado: el contenido está publicado.</numerusform>
            <numerusform>%n elementos aprobados: el contenido está publicado.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Rejected %n item(s).</source>
        <translation>
            <numerusform>%n elemento rechazado.</numerusform>
            <numerusform>%n elementos rechazados.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n item(s) failed. First error: %1</source>
        <translation>
            <numerusform>%n elemento falló. Primer error: %1</numerusform>
            <numerusform>%n elementos fallaron. Primer error: %1</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n item(s) loaded</source>
        <translation>
            <numerusform>%n elemento cargado</numerusform>
            <numerusform>%n elementos cargados</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1 of %n item(s) loaded match the agent filter</source>
        <translation>
            <numerusform>%1 de %n elemento cargado coinciden con el filtro de agente</numerusform>
            <numerusform>%1 de %n elementos cargados coinciden con el filtro de agente</numerusform>
        </translation>
    </message>
    <message>
        <source>%1; more load as you scroll</source>
        <translation>%1; se cargan más al desplazarte</translation>
    </message>
</context>
<context>
    <name>bw::ui::SettingsForm</name>
    <message>
        <source>Listen address (host:port)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Trusted proxies (comma list of IPs)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Public URL</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>External database URL (empty: embedded cluster)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PostgreSQL binaries (embedded cluster)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Classifier provider</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model (empty: the provider&apos;s default)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Base URL (empty: the provider&apos;s default)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>API key (kept in the keychain)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Approve at or above (0–1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Flag at or above (0–1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Daily AI budget (cents)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Classifier timeout (ms)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enforce rate limits</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Public requests per IP per minute</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unverified agents per minute</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Claimed agents per minute</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Verified agents per minute</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Content creations per agent per minute</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Registrations per IP per minute</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SMTP host (empty: codes are held for administrators)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SMTP port</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SMTP user</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>SMTP password (kept in the keychain)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>From address</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Require STARTTLS</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Alert webhook URL (Slack-compatible)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Alert e-mail recipients</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Backup folder (empty: &lt;data dir&gt;/backups)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep daily backups (days, 0 = for ever)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep monthly backups (days)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep pre-migration snapshots (days)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep manual backups (days, 0 = for ever)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>WAL archiving (point-in-time recovery)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Recovery time objective (minutes)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>S3 endpoint (empty: no off-site copy)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bucket</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Region</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Key prefix</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Access key id</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Secret access key (kept in the keychain)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Server</source>
        <translation type="unfinished">Servidor</translation>
    </message>
    <message>
        <source>Database</source>
        <translation type="unfinished">Base de datos</translation>
    </message>
    <message>
        <source>Guardrails</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rate limits</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>E-mail (SMTP)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Alert notifications</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Backups</source>
        <translation type="unfinished">Copias de seguridad</translation>
    </message>
    <message>
        <source>Off-site copies (S3-compatible)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Save</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Applied at once on every node</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Applied at the next start</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only administrators can change settings</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>stored — type to replace</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>not set</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Settings file: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not load: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing changed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not saved: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing was saved: fix the settings marked below.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saved and applied.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saved. Restart needed for: %1</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>bw::ui::SettingsPanel</name>
    <message>
        <source>Settings</source>
        <translation type="unfinished">Ajustes</translation>
    </message>
    <message>
        <source>Server and database</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Guardrails</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rate limits</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>E-mail and alerts</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Heartbeat instructions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Guardrail settings and heartbeat instructions apply at once on every node; the others are written to the settings file and apply at the next start.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Read-only: only administrators can change settings.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Save and &amp;sign</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Current version:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Recommended check-in interval:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not load the instructions: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not valid JSON at character %1: %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The instructions must be a JSON object.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not saved: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Saved and signed as version %1; agents get it at their next check-in.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>bw::ui::SignInPage</name>
    <message numerus="yes">
        <source>This account is locked after too many failed attempts. Try again in %n minute(s).</source>
        <translation>
            <numerusform>Esta cuenta está bloqueada tras demasiados intentos fallidos. Vuelve a intentarlo en %n minuto.</numerusform>
            <numerusform>Esta cuenta está bloqueada tras demasiados intentos fallidos. Vuelve a intentarlo en %n minutos.</numerusform>
        </translation>
    </message>
    <message>
        <source>Wrong email or password.</source>
        <translation>Correo electrónico o contraseña incorrectos.</translation>
    </message>
    <message>
        <source>This account is deactivated. Ask an administrator to reactivate it.</source>
        <translation>Esta cuenta está desactivada. Pide a un administrador que la reactive.</translation>
    </message>
    <message>
        <source>Check the highlighted fields: %1</source>
        <translation>Revisa los campos indicados: %1</translation>
    </message>
    <message>
        <source>An account with this email already exists.</source>
        <translation>Ya existe una cuenta con este correo electrónico.</translation>
    </message>
    <message>
        <source>Sign-in failed: %1</source>
        <translation>No se pudo iniciar sesión: %1</translation>
    </message>
    <message>
        <source>name@example.org</source>
        <translation>nombre@ejemplo.org</translation>
    </message>
    <message>
        <source>Sign-in error</source>
        <translation>Error de inicio de sesión</translation>
    </message>
    <message>
        <source>&amp;Email:</source>
        <translation>Correo &amp;electrónico:</translation>
    </message>
    <message>
        <source>&amp;Display name:</source>
        <translation>&amp;Nombre visible:</translation>
    </message>
    <message>
        <source>&amp;Password:</source>
        <translation>&amp;Contraseña:</translation>
    </message>
    <message>
        <source>&amp;Repeat password:</source>
        <translation>&amp;Repetir contraseña:</translation>
    </message>
    <message>
        <source>Cannot read the admin accounts: %1</source>
        <translation>No se pueden leer las cuentas de administración: %1</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>Iniciar sesión</translation>
    </message>
    <message>
        <source>Waiting for the server to start…</source>
        <translation>Esperando a que arranque el servidor…</translation>
    </message>
    <message>
        <source>Checking the admin accounts…</source>
        <translation>Comprobando las cuentas de administración…</translation>
    </message>
    <message>
        <source>Sign in as a moderator or administrator to review content and run the platform.</source>
        <translation>Inicia sesión como moderador o administrador para revisar contenido y gestionar la plataforma.</translation>
    </message>
    <message>
        <source>&amp;Sign In</source>
        <translation>&amp;Iniciar sesión</translation>
    </message>
    <message>
        <source>Create the first administrator</source>
        <translation>Crear el primer administrador</translation>
    </message>
    <message numerus="yes">
        <source>This database has no admin accounts yet. Create the first administrator; they can add moderators later. The password needs at least %n characters.</source>
        <translation>
            <numerusform>Esta base de datos aún no tiene cuentas de administración. Crea el primer administrador; después podrá añadir moderadores. La contraseña necesita al menos %n carácter.</numerusform>
            <numerusform>Esta base de datos aún no tiene cuentas de administración. Crea el primer administrador; después podrá añadir moderadores. La contraseña necesita al menos %n caracteres.</numerusform>
        </translation>
    </message>
    <message>
        <source>&amp;Create Administrator</source>
        <translation>&amp;Crear administrador</translation>
    </message>
    <message>
        <source>Please wait…</source>
        <translation>Espera, por favor…</translation>
    </message>
    <message>
        <source>Enter your email and password.</source>
        <translation>Introduce tu correo electrónico y tu contraseña.</translation>
    </message>
    <message>
        <source>Enter an email address.</source>
        <translation>Introduce una dirección de correo electrónico.</translation>
    </message>
    <message>
        <source>The password is not acceptable: %1</source>
        <translation>La contraseña no es aceptable: %1</translation>
    </message>
    <message>
        <source>The passwords do not match.</source>
        <translation>Las contraseñas no coinciden.</translation>
    </message>
    <message>
        <source>An administrator account exists now. Sign in with it.</source>
        <translation>Ya existe una cuenta de administrador. Inicia sesión con ella.</translation>
    </message>
</context>
</TS>
