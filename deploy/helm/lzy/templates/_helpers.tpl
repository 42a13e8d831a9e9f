{{/*
Facts about each service that the operator does not choose: its gRPC port (the defaults of its
src/config.ts), the gRPC service its readiness probe asks for (NOT_SERVING until its database is
migrated; '' = the server as a whole), whether it has a database, and whether it signs calls with
the internal key. Order = start order of the local suite (libs/local-suite/src/suite-env.ts).
*/}}
{{- define "lzy.serviceFacts" -}}
iam: { port: 8443, health: ai.lzy.v1.iam.LzyAuthenticateService, db: true, internalKey: false }
storage: { port: 8134, health: lzy.internal.storage.v1.StorageService, db: true, internalKey: false }
channel-manager: { port: 8133, health: lzy.internal.channel_manager.v1.ChannelManagerService, db: true, internalKey: false }
allocator: { port: 8132, health: lzy.internal.allocator.v1.AllocatorService, db: true, internalKey: true }
scheduler: { port: 8131, health: lzy.internal.scheduler.v1.SchedulerService, db: true, internalKey: true }
graph-executor: { port: 8130, health: lzy.internal.graph_executor.v1.GraphExecutorService, db: true, internalKey: true }
whiteboard: { port: 8122, health: ai.lzy.v1.whiteboard.LzyWhiteboardService, db: true, internalKey: true }
lzy-service: { port: 8899, health: ai.lzy.v1.workflow.LzyWorkflowService, db: true, internalKey: true }
site: { port: 8137, health: '', db: false, internalKey: true }
{{- end -}}

{{- define "lzy.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "lzy.labels" -}}
app.kubernetes.io/part-of: lzy
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* Labels of one service's objects; selector labels are the stable subset. */}}
{{- define "lzy.selectorLabels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end -}}

{{- define "lzy.serviceLabels" -}}
{{ include "lzy.labels" .root }}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/component: {{ .name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
{{- end -}}

{{- define "lzy.vmNamespace" -}}
{{- default .Release.Namespace .Values.allocator.vmNamespace -}}
{{- end -}}

{{/* Image of a component: `<registry>/lzy-<name>:<tag>`. Args: root, name, override. */}}
{{- define "lzy.image" -}}
{{- if .override -}}
{{- .override -}}
{{- else -}}
{{- $tag := default .root.Chart.AppVersion .root.Values.image.tag -}}
{{- $registry := .root.Values.image.registry | trimSuffix "/" -}}
{{- if $registry -}}
{{- printf "%s/lzy-%s:%s" $registry .name $tag -}}
{{- else -}}
{{- printf "lzy-%s:%s" .name $tag -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* host:port of a service inside the cluster. Args: root, name. */}}
{{- define "lzy.address" -}}
{{- $facts := include "lzy.serviceFacts" .root | fromYaml -}}
{{- printf "%s-%s.%s.svc:%d" (include "lzy.fullname" .root) .name .root.Release.Namespace (int (get $facts .name).port) -}}
{{- end -}}

{{/* The allocator's address as VMs see it. */}}
{{- define "lzy.allocatorAdvertisedAddress" -}}
{{- default (include "lzy.address" (dict "root" . "name" "allocator")) .Values.allocator.advertisedAddress -}}
{{- end -}}

{{/* Database name of a service: lzy_<service with '-' → '_'> unless overridden. */}}
{{- define "lzy.databaseName" -}}
{{- $svc := get .root.Values.services .name -}}
{{- $override := dig "database" "name" "" $svc -}}
{{- default (printf "%s%s" .root.Values.database.databasePrefix (.name | replace "-" "_")) $override -}}
{{- end -}}

{{/*
Cross-field rules JSON Schema cannot say; each failure names the value and what to do.
*/}}
{{- define "lzy.validate" -}}
{{- if eq .Values.mode "full" -}}
{{- if not .Values.database.host -}}
{{- fail "database.host is required in mode full: the PostgreSQL server that holds one database per service" -}}
{{- end -}}
{{- $labels := dict -}}
{{- $clusters := dict -}}
{{- range .Values.allocator.pools -}}
{{- if hasKey $labels .label -}}
{{- fail (printf "allocator.pools: pool label %q appears twice; labels must be unique" .label) -}}
{{- end -}}
{{- $_ := set $labels .label true -}}
{{- $_ := set $clusters .cluster_type true -}}
{{- end -}}
{{- if not (hasKey $clusters "SYSTEM") -}}
{{- fail "allocator.pools: no pool has cluster_type SYSTEM; portals need one (services.lzy-service.env.LZY_PORTAL_POOL names it)" -}}
{{- end -}}
{{- if not (hasKey $clusters "WORKER") -}}
{{- fail "allocator.pools: no pool has cluster_type WORKER; ops would have nowhere to run" -}}
{{- end -}}
{{- $portalPool := dig "lzy-service" "env" "LZY_PORTAL_POOL" "portals" .Values.services -}}
{{- if not (hasKey $labels $portalPool) -}}
{{- fail (printf "services.lzy-service.env.LZY_PORTAL_POOL is %q but allocator.pools has no pool with that label" $portalPool) -}}
{{- end -}}
{{- end -}}
{{- end -}}
