import type { Generated } from 'kysely';

/** Row shapes of iam's tables (migrations/0001_init.ts, 0003_vm_owner.ts). */
export interface SubjectTable {
  id: string;
  type: string;
  auth_provider: string;
  provider_subject_id: string;
  /** VM subjects: the user the VM works for (0003_vm_owner); NULL otherwise. */
  owner_user_id: Generated<string | null>;
  access_type: Generated<string>;
  created_at: Generated<Date>;
}

export interface CredentialTable {
  subject_id: string;
  name: string;
  type: string;
  value: string;
  expired_at: Date | null;
  created_at: Generated<Date>;
}

export interface AccessBindingTable {
  resource_type: string;
  resource_id: string;
  subject_id: string;
  role: string;
}

export interface IamDatabase {
  subject: SubjectTable;
  credential: CredentialTable;
  access_binding: AccessBindingTable;
}
