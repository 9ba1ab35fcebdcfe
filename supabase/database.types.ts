
export type Json = string | number | boolean | null | { [key: string]: Json | undefined } | Json[]

export type Database = {
  
  "pgpod": {
          Tables: {
            "archives": {
                  Row: {
                    "bucket": string,"created_at": string,"expired_at": string | null,"files": number,"id": number,"key": string,"owner_id": string,"path": string,"size": number
                  }
                  ComputedFields: never
                  Insert: {
                    "bucket": string,"created_at"?: string,"expired_at"?: string | null,"files": number,"id"?: never,"key": string,"owner_id": string,"path": string,"size": number
                  }
                  Update: {
                    "bucket"?: string,"created_at"?: string,"expired_at"?: string | null,"files"?: number,"id"?: never,"key"?: string,"owner_id"?: string,"path"?: string,"size"?: number
                  }
                  Relationships: [
                    
                  ]
                },"endpoint_health": {
                  Row: {
                    "dispatch_after": string | null,"endpoint": string,"problem": string | null,"problem_at": string | null,"refusals": number
                  }
                  ComputedFields: never
                  Insert: {
                    "dispatch_after"?: string | null,"endpoint": string,"problem"?: string | null,"problem_at"?: string | null,"refusals"?: number
                  }
                  Update: {
                    "dispatch_after"?: string | null,"endpoint"?: string,"problem"?: string | null,"problem_at"?: string | null,"refusals"?: number
                  }
                  Relationships: [
                    {
      foreignKeyName: "endpoint_health_endpoint_fkey"
      columns: ["endpoint"]
isOneToOne: true
      referencedRelation: "endpoint_stats"
      referencedColumns: ["endpoint"]
    },{
      foreignKeyName: "endpoint_health_endpoint_fkey"
      columns: ["endpoint"]
isOneToOne: true
      referencedRelation: "endpoints"
      referencedColumns: ["name"]
    }
                  ]
                },"endpoints": {
                  Row: {
                    "allow_active_outputs": boolean,"api_base": string,"backoff_base_s": number,"backoff_max_s": number,"batch_size": number,"created_at": string,"direct_upload": boolean,"execution_timeout_ms": number | null,"input_schema": Json | null,"low_priority": boolean,"max_attempts": number,"max_in_flight": number | null,"max_submit_failures": number,"name": string,"on_complete": string | null,"output_bucket": string,"paused": boolean,"public_outputs": boolean,"queue_name": string,"runpod_endpoint_id": string,"signed_url_ttl_s": number,"ttl_ms": number | null,"updated_at": string,"variants": Json | null
                  }
                  ComputedFields: never
                  Insert: {
                    "allow_active_outputs"?: boolean,"api_base"?: string,"backoff_base_s"?: number,"backoff_max_s"?: number,"batch_size"?: number,"created_at"?: string,"direct_upload"?: boolean,"execution_timeout_ms"?: number | null,"input_schema"?: Json | null,"low_priority"?: boolean,"max_attempts"?: number,"max_in_flight"?: number | null,"max_submit_failures"?: number,"name": string,"on_complete"?: string | null,"output_bucket"?: string,"paused"?: boolean,"public_outputs"?: boolean,"queue_name"?: never,"runpod_endpoint_id": string,"signed_url_ttl_s"?: number,"ttl_ms"?: number | null,"updated_at"?: string,"variants"?: Json | null
                  }
                  Update: {
                    "allow_active_outputs"?: boolean,"api_base"?: string,"backoff_base_s"?: number,"backoff_max_s"?: number,"batch_size"?: number,"created_at"?: string,"direct_upload"?: boolean,"execution_timeout_ms"?: number | null,"input_schema"?: Json | null,"low_priority"?: boolean,"max_attempts"?: number,"max_in_flight"?: number | null,"max_submit_failures"?: number,"name"?: string,"on_complete"?: string | null,"output_bucket"?: string,"paused"?: boolean,"public_outputs"?: boolean,"queue_name"?: never,"runpod_endpoint_id"?: string,"signed_url_ttl_s"?: number,"ttl_ms"?: number | null,"updated_at"?: string,"variants"?: Json | null
                  }
                  Relationships: [
                    
                  ]
                },"job_events": {
                  Row: {
                    "created_at": string,"detail": NonNullable<Json>,"id": number,"job_id": string | null,"kind": string,"run_id": number | null
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"detail"?: NonNullable<Json>,"id"?: never,"job_id"?: string | null,"kind": string,"run_id"?: number | null
                  }
                  Update: {
                    "created_at"?: string,"detail"?: NonNullable<Json>,"id"?: never,"job_id"?: string | null,"kind"?: string,"run_id"?: number | null
                  }
                  Relationships: [
                    {
      foreignKeyName: "job_events_job_id_fkey"
      columns: ["job_id"]
isOneToOne: false
      referencedRelation: "jobs"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "job_events_job_id_fkey"
      columns: ["job_id"]
isOneToOne: false
      referencedRelation: "recent_failures"
      referencedColumns: ["job_id"]
    }
                  ]
                },"job_files": {
                  Row: {
                    "bucket": string,"content_type": string | null,"created_at": string,"filename": string,"index": number,"job_id": string,"owner_id": string | null,"path": string,"sha256": string | null,"size": number | null
                  }
                  ComputedFields: never
                  Insert: {
                    "bucket": string,"content_type"?: string | null,"created_at"?: string,"filename": string,"index": number,"job_id": string,"owner_id"?: string | null,"path": string,"sha256"?: string | null,"size"?: number | null
                  }
                  Update: {
                    "bucket"?: string,"content_type"?: string | null,"created_at"?: string,"filename"?: string,"index"?: number,"job_id"?: string,"owner_id"?: string | null,"path"?: string,"sha256"?: string | null,"size"?: number | null
                  }
                  Relationships: [
                    {
      foreignKeyName: "job_files_job_id_fkey"
      columns: ["job_id"]
isOneToOne: false
      referencedRelation: "jobs"
      referencedColumns: ["id"]
    },{
      foreignKeyName: "job_files_job_id_fkey"
      columns: ["job_id"]
isOneToOne: false
      referencedRelation: "recent_failures"
      referencedColumns: ["job_id"]
    }
                  ]
                },"jobs": {
                  Row: {
                    "attempt": number,"cancel_requested_at": string | null,"created_at": string,"endpoint": string,"error": string | null,"finished_at": string | null,"id": string,"idempotency_key": string | null,"input": NonNullable<Json>,"max_attempts": number,"output": Json | null,"owner_id": string | null,"run_after": string | null,"run_id": number | null,"source_id": string | null,"source_table": string | null,"started_at": string | null,"status": Database["pgpod"]['Enums']["job_status"],"submit_failures": number,"submitted_at": string | null,"updated_at": string
                  }
                  ComputedFields: never
                  Insert: {
                    "attempt"?: number,"cancel_requested_at"?: string | null,"created_at"?: string,"endpoint": string,"error"?: string | null,"finished_at"?: string | null,"id"?: string,"idempotency_key"?: string | null,"input": NonNullable<Json>,"max_attempts"?: number,"output"?: Json | null,"owner_id"?: string | null,"run_after"?: string | null,"run_id"?: number | null,"source_id"?: string | null,"source_table"?: string | null,"started_at"?: string | null,"status"?: Database["pgpod"]['Enums']["job_status"],"submit_failures"?: number,"submitted_at"?: string | null,"updated_at"?: string
                  }
                  Update: {
                    "attempt"?: number,"cancel_requested_at"?: string | null,"created_at"?: string,"endpoint"?: string,"error"?: string | null,"finished_at"?: string | null,"id"?: string,"idempotency_key"?: string | null,"input"?: NonNullable<Json>,"max_attempts"?: number,"output"?: Json | null,"owner_id"?: string | null,"run_after"?: string | null,"run_id"?: number | null,"source_id"?: string | null,"source_table"?: string | null,"started_at"?: string | null,"status"?: Database["pgpod"]['Enums']["job_status"],"submit_failures"?: number,"submitted_at"?: string | null,"updated_at"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "jobs_endpoint_fkey"
      columns: ["endpoint"]
isOneToOne: false
      referencedRelation: "endpoint_stats"
      referencedColumns: ["endpoint"]
    },{
      foreignKeyName: "jobs_endpoint_fkey"
      columns: ["endpoint"]
isOneToOne: false
      referencedRelation: "endpoints"
      referencedColumns: ["name"]
    },{
      foreignKeyName: "jobs_run_id_fkey"
      columns: ["run_id"]
isOneToOne: false
      referencedRelation: "runs"
      referencedColumns: ["id"]
    }
                  ]
                },"runs": {
                  Row: {
                    "attempt": number,"cancel_sent_at": string | null,"claimed_at": string,"delay_ms": number | null,"endpoint": string,"error": string | null,"execution_ms": number | null,"finished_at": string | null,"grouped": boolean,"id": number,"job_ids": (string)[],"last_polled_at": string | null,"msg_ids": (number)[],"runpod_job_id": string | null,"status": string,"submitted_at": string | null,"webhook_count": number
                  }
                  ComputedFields: never
                  Insert: {
                    "attempt": number,"cancel_sent_at"?: string | null,"claimed_at"?: string,"delay_ms"?: number | null,"endpoint": string,"error"?: string | null,"execution_ms"?: number | null,"finished_at"?: string | null,"grouped": boolean,"id"?: never,"job_ids": (string)[],"last_polled_at"?: string | null,"msg_ids": (number)[],"runpod_job_id"?: string | null,"status"?: string,"submitted_at"?: string | null,"webhook_count"?: number
                  }
                  Update: {
                    "attempt"?: number,"cancel_sent_at"?: string | null,"claimed_at"?: string,"delay_ms"?: number | null,"endpoint"?: string,"error"?: string | null,"execution_ms"?: number | null,"finished_at"?: string | null,"grouped"?: boolean,"id"?: never,"job_ids"?: (string)[],"last_polled_at"?: string | null,"msg_ids"?: (number)[],"runpod_job_id"?: string | null,"status"?: string,"submitted_at"?: string | null,"webhook_count"?: number
                  }
                  Relationships: [
                    {
      foreignKeyName: "runs_endpoint_fkey"
      columns: ["endpoint"]
isOneToOne: false
      referencedRelation: "endpoint_stats"
      referencedColumns: ["endpoint"]
    },{
      foreignKeyName: "runs_endpoint_fkey"
      columns: ["endpoint"]
isOneToOne: false
      referencedRelation: "endpoints"
      referencedColumns: ["name"]
    }
                  ]
                },"settings": {
                  Row: {
                    "claim_vt_s": number,"dispatch_timeout_ms": number,"id": boolean,"kick_debounce_ms": number,"poll_after_s": number,"retention": string
                  }
                  ComputedFields: never
                  Insert: {
                    "claim_vt_s"?: number,"dispatch_timeout_ms"?: number,"id"?: boolean,"kick_debounce_ms"?: number,"poll_after_s"?: number,"retention"?: string
                  }
                  Update: {
                    "claim_vt_s"?: number,"dispatch_timeout_ms"?: number,"id"?: boolean,"kick_debounce_ms"?: number,"poll_after_s"?: number,"retention"?: string
                  }
                  Relationships: [
                    
                  ]
                }
          }
          Views: {
            "endpoint_stats": {
                  Row: {
                    "batch_size": number,"endpoint": string,"execution_p50_s": number | null,"execution_p95_s": number | null,"failed_1h": number | null,"failed_24h": number | null,"gpu_seconds_24h": number | null,"in_flight": number | null,"max_in_flight": number | null,"paused": boolean,"queue_wait_p50_s": number | null,"queue_wait_p95_s": number | null,"queued": number | null,"succeeded_1h": number | null,"succeeded_24h": number | null
                  }
                  ComputedFields: never
                  Relationships: [
                    
                  ]
                },"queue_health": {
                  Row: {
                    "dispatch_after": string | null,"endpoint": string | null,"kick_problem": string | null,"newest_msg_age_s": number | null,"oldest_msg_age_s": number | null,"problem": string | null,"problem_at": string | null,"queue_length": number | null,"queue_name": string | null,"runs_overdue": number | null,"runs_stuck_submitting": number | null,"submit_refusals": number | null,"total_messages": number | null
                  }
                  ComputedFields: never
                  Relationships: [
                    
                  ]
                },"recent_failures": {
                  Row: {
                    "attempt": number,"endpoint": string,"error": string | null,"finished_at": string | null,"job_id": string,"max_attempts": number,"owner_id": string | null,"run_id": number | null,"runpod_job_id": string | null,"source_id": string | null,"source_table": string | null
                  }
                  ComputedFields: never
                  Relationships: [
                    {
      foreignKeyName: "jobs_endpoint_fkey"
      columns: ["endpoint"]
isOneToOne: false
      referencedRelation: "endpoint_stats"
      referencedColumns: ["endpoint"]
    },{
      foreignKeyName: "jobs_endpoint_fkey"
      columns: ["endpoint"]
isOneToOne: false
      referencedRelation: "endpoints"
      referencedColumns: ["name"]
    },{
      foreignKeyName: "jobs_run_id_fkey"
      columns: ["run_id"]
isOneToOne: false
      referencedRelation: "runs"
      referencedColumns: ["id"]
    }
                  ]
                },"setup_checks": {
                  Row: {
                    "consequence": string | null,"fix": string | null,"name": string | null,"ok": boolean | null
                  }
                  ComputedFields: never
                  Relationships: [
                    
                  ]
                }
          }
          Functions: {
            "archive_files":
{ Args: { "created_after"?: string,"created_before"?: string,"endpoint"?: string,"job_ids"?: (string)[],"max_files"?: number }; Returns: {
              "bucket": string,"filename": string,"job_id": string,"path": string,"sha256": string,"size": number
            }[]
                           },
"backoff_s":
{ Args: { "attempt": number,"base_s": number,"jitter": number,"max_s": number }; Returns: number
                           },
"cached_archive":
{ Args: { "key": string,"owner_id": string }; Returns: Json
                           },
"cancel":
{ Args: { "job_id": string }; Returns: {
              "attempt": number,
"cancel_requested_at": string | null,
"created_at": string,
"endpoint": string,
"error": string | null,
"finished_at": string | null,
"id": string,
"idempotency_key": string | null,
"input": NonNullable<Json>,
"max_attempts": number,
"output": Json | null,
"owner_id": string | null,
"run_after": string | null,
"run_id": number | null,
"source_id": string | null,
"source_table": string | null,
"started_at": string | null,
"status": Database["pgpod"]['Enums']["job_status"],
"submit_failures": number,
"submitted_at": string | null,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "jobs"
        isOneToOne: true
        isSetofReturn: false
      } },
"checked_variants":
{ Args: { "variants": Json }; Returns: boolean
                           },
"claim_runs":
{ Args: { "endpoint": string,"max_runs"?: number }; Returns: {
              "api_base": string,"attempt": number,"direct_upload": boolean,"endpoint_name": string,"execution_timeout_ms": number,"grouped": boolean,"input": Json,"jobs": Json,"low_priority": boolean,"output_bucket": string,"run_id": number,"runpod_endpoint_id": string,"signed_url_ttl_s": number,"ttl_ms": number
            }[]
                           },
"complete_run":
{ Args: { "attempt": number,"files"?: Json,"run_id": number,"runpod_result": Json }; Returns: Json
                           },
"complete_runs":
{ Args: { "deliveries": Json }; Returns: Json
                           },
"dispatch_token":
{ Args: { "issued_at"?: number,"secret": string }; Returns: string
                           },
"dispatch_url":
{ Args: { "project_url": string }; Returns: string
                           },
"dispatchable_endpoints":
{ Args: Record<PropertyKey, never>; Returns: string[]
                           },
"expired_archives":
{ Args: { "max_archives"?: number }; Returns: {
              "bucket": string,"id": number,"path": string
            }[]
                           },
"find_own_job":
{ Args: { "job_id": string }; Returns: {
              "attempt": number,
"cancel_requested_at": string | null,
"created_at": string,
"endpoint": string,
"error": string | null,
"finished_at": string | null,
"id": string,
"idempotency_key": string | null,
"input": NonNullable<Json>,
"max_attempts": number,
"output": Json | null,
"owner_id": string | null,
"run_after": string | null,
"run_id": number | null,
"source_id": string | null,
"source_table": string | null,
"started_at": string | null,
"status": Database["pgpod"]['Enums']["job_status"],
"submit_failures": number,
"submitted_at": string | null,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "jobs"
        isOneToOne: true
        isSetofReturn: false
      } },
"forget_archives":
{ Args: { "ids": (number)[] }; Returns: undefined
                           },
"input_file":
{ Args: { "bucket"?: string,"path": string }; Returns: Json
                           },
"inputs_policy_sql":
{ Args: Record<PropertyKey, never>; Returns: string
                           },
"kick_dispatcher":
{ Args: { "force"?: boolean,"reason"?: string }; Returns: number
                           },
"mark_submitted":
{ Args: { "submissions": Json }; Returns: Json
                           },
"note_endpoint_problem":
{ Args: { "endpoint": string,"problem": string }; Returns: undefined
                           },
"ops_snapshot":
{ Args: Record<PropertyKey, never>; Returns: Json
                           },
"output_settings":
{ Args: { "endpoint": string }; Returns: Json
                           },
"prune":
{ Args: { "older_than"?: string }; Returns: Json
                           },
"queue_metrics":
{ Args: Record<PropertyKey, never>; Returns: {
              "endpoint": string,"newest_msg_age_s": number,"oldest_msg_age_s": number,"queue_length": number,"queue_name": string,"total_messages": number
            }[]
                           },
"realtime_policy_sql":
{ Args: Record<PropertyKey, never>; Returns: string
                           },
"record_archive":
{ Args: { "bucket": string,"files": number,"key": string,"owner_id": string,"path": string,"size": number }; Returns: undefined
                           },
"record_event":
{ Args: { "detail"?: Json,"job_ids": (string)[],"kind": string,"run_id": number }; Returns: undefined
                           },
"record_kick_problem":
{ Args: { "problem": string,"reason": string }; Returns: undefined
                           },
"release_run":
{ Args: { "releases": Json }; Returns: Json
                           },
"requeue_refused":
{ Args: { "refused": Json }; Returns: Json
                           },
"retry":
{ Args: { "job_id": string }; Returns: {
              "attempt": number,
"cancel_requested_at": string | null,
"created_at": string,
"endpoint": string,
"error": string | null,
"finished_at": string | null,
"id": string,
"idempotency_key": string | null,
"input": NonNullable<Json>,
"max_attempts": number,
"output": Json | null,
"owner_id": string | null,
"run_after": string | null,
"run_id": number | null,
"source_id": string | null,
"source_table": string | null,
"started_at": string | null,
"status": Database["pgpod"]['Enums']["job_status"],
"submit_failures": number,
"submitted_at": string | null,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "jobs"
        isOneToOne: true
        isSetofReturn: false
      } },
"run_context":
{ Args: { "attempt": number,"run_id": number,"runpod_job_id": string }; Returns: Json
                           },
"run_on_complete":
{ Args: { "job_ids": (string)[] }; Returns: undefined
                           },
"runs_to_reconcile":
{ Args: { "max_runs"?: number }; Returns: {
              "action": string,"api_base": string,"attempt": number,"endpoint": string,"run_id": number,"runpod_endpoint_id": string,"runpod_job_id": string
            }[]
                           },
"schedule_dispatch":
{ Args: { "every"?: string }; Returns: string
                           },
"settle_failures":
{ Args: { "failures": Json,"min_delay_s": number,"permanent": boolean,"run_id": number }; Returns: Json
                           },
"storage_policy_sql":
{ Args: Record<PropertyKey, never>; Returns: string
                           },
"storage_prefix":
{ Args: { "endpoint": string,"job_id": string,"owner_id": string }; Returns: string
                           },
"submit":
{ Args: { "endpoint": string,"idempotency_key"?: string,"input": Json,"run_after"?: string }; Returns: {
              "attempt": number,
"cancel_requested_at": string | null,
"created_at": string,
"endpoint": string,
"error": string | null,
"finished_at": string | null,
"id": string,
"idempotency_key": string | null,
"input": NonNullable<Json>,
"max_attempts": number,
"output": Json | null,
"owner_id": string | null,
"run_after": string | null,
"run_id": number | null,
"source_id": string | null,
"source_table": string | null,
"started_at": string | null,
"status": Database["pgpod"]['Enums']["job_status"],
"submit_failures": number,
"submitted_at": string | null,
"updated_at": string
            }
                          SetofOptions: {
        from: "*"
        to: "jobs"
        isOneToOne: true
        isSetofReturn: false
      } }
          }
          Enums: {
            "job_status": "queued"|"submitting"|"submitted"|"running"|"succeeded"|"failed"|"cancelled"
          }
          CompositeTypes: {
            [_ in never]: never
          }
        },"public": {
          Tables: {
            "document_transcriptions": {
                  Row: {
                    "created_at": string,"document_id": string,"job_id": string,"language": string | null,"owner_id": string,"text": string
                  }
                  ComputedFields: never
                  Insert: {
                    "created_at"?: string,"document_id": string,"job_id": string,"language"?: string | null,"owner_id": string,"text": string
                  }
                  Update: {
                    "created_at"?: string,"document_id"?: string,"job_id"?: string,"language"?: string | null,"owner_id"?: string,"text"?: string
                  }
                  Relationships: [
                    {
      foreignKeyName: "document_transcriptions_document_id_fkey"
      columns: ["document_id"]
isOneToOne: true
      referencedRelation: "documents"
      referencedColumns: ["id"]
    }
                  ]
                },"documents": {
                  Row: {
                    "audio_path": string | null,"audio_url": string | null,"created_at": string,"id": string,"owner_id": string,"status": string,"title": string,"updated_at": string,"document_job_input": Json | null
                  }
                  ComputedFields: "document_job_input"
                  Insert: {
                    "audio_path"?: string | null,"audio_url"?: string | null,"created_at"?: string,"id"?: string,"owner_id"?: string,"status"?: string,"title": string,"updated_at"?: string
                  }
                  Update: {
                    "audio_path"?: string | null,"audio_url"?: string | null,"created_at"?: string,"id"?: string,"owner_id"?: string,"status"?: string,"title"?: string,"updated_at"?: string
                  }
                  Relationships: [
                    
                  ]
                }
          }
          Views: {
            [_ in never]: never
          }
          Functions: {
            "document_job_input":
{ Args: { "doc": Omit<Database["public"]['Tables']["documents"]['Row'], Database["public"]['Tables']["documents"]['ComputedFields']> }; Returns: Json
                           },
"document_transcribed":
{ Args: { "job": Omit<Database["pgpod"]['Tables']["jobs"]['Row'], Database["pgpod"]['Tables']["jobs"]['ComputedFields']> }; Returns: undefined
                           }
          }
          Enums: {
            [_ in never]: never
          }
          CompositeTypes: {
            [_ in never]: never
          }
        }
}

type DatabaseWithoutInternals = Omit<Database, '__InternalSupabase'>

type DefaultSchema = DatabaseWithoutInternals[Extract<keyof Database, "public">]

export type Tables<
  DefaultSchemaTableNameOrOptions extends
    | keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
        DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])
    : never = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? (DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"] &
      DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Views"])[TableName] extends {
      Row: infer R
    }
    ? R
    : never
  : DefaultSchemaTableNameOrOptions extends keyof (DefaultSchema["Tables"] & DefaultSchema["Views"])
  ? (DefaultSchema["Tables"] & DefaultSchema["Views"])[DefaultSchemaTableNameOrOptions] extends {
      Row: infer R
    }
    ? R
    : never
  : never

export type TablesInsert<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Insert: infer I
    }
    ? I
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
  ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
      Insert: infer I
    }
    ? I
    : never
  : never

export type TablesUpdate<
  DefaultSchemaTableNameOrOptions extends
    | keyof DefaultSchema["Tables"]
    | { schema: keyof DatabaseWithoutInternals },
  TableName extends DefaultSchemaTableNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"]
    : never = never
> = DefaultSchemaTableNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaTableNameOrOptions["schema"]]["Tables"][TableName] extends {
      Update: infer U
    }
    ? U
    : never
  : DefaultSchemaTableNameOrOptions extends keyof DefaultSchema["Tables"]
  ? DefaultSchema["Tables"][DefaultSchemaTableNameOrOptions] extends {
      Update: infer U
    }
    ? U
    : never
  : never

export type Enums<
  DefaultSchemaEnumNameOrOptions extends
    | keyof DefaultSchema["Enums"]
    | { schema: keyof DatabaseWithoutInternals },
  EnumName extends DefaultSchemaEnumNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"]
    : never = never
> = DefaultSchemaEnumNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[DefaultSchemaEnumNameOrOptions["schema"]]["Enums"][EnumName]
  : DefaultSchemaEnumNameOrOptions extends keyof DefaultSchema["Enums"]
  ? DefaultSchema["Enums"][DefaultSchemaEnumNameOrOptions]
  : never

export type CompositeTypes<
  PublicCompositeTypeNameOrOptions extends
    | keyof DefaultSchema["CompositeTypes"]
    | { schema: keyof DatabaseWithoutInternals },
  CompositeTypeName extends PublicCompositeTypeNameOrOptions extends {
    schema: keyof DatabaseWithoutInternals
  }
    ? keyof DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"]
    : never = never
> = PublicCompositeTypeNameOrOptions extends { schema: keyof DatabaseWithoutInternals }
  ? DatabaseWithoutInternals[PublicCompositeTypeNameOrOptions["schema"]]["CompositeTypes"][CompositeTypeName]
  : PublicCompositeTypeNameOrOptions extends keyof DefaultSchema["CompositeTypes"]
  ? DefaultSchema["CompositeTypes"][PublicCompositeTypeNameOrOptions]
  : never

export const Constants = {
  "pgpod": {
          Enums: {
            "job_status": ["queued", "submitting", "submitted", "running", "succeeded", "failed", "cancelled"]
          }
        },"public": {
          Enums: {
            
          }
        }
} as const
