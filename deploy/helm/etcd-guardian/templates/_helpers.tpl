{{- define "guardian.labels" -}}
app.kubernetes.io/part-of: etcd-guardian
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{- define "guardian.image" -}}
{{ .root.Values.image.registry }}/{{ .service }}:{{ default .root.Chart.AppVersion .root.Values.image.tag }}
{{- end -}}
