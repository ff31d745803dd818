// The part of the database schema this app uses (fixtures/sql/0001_todos.sql), in the shape
// `supabase gen types typescript` produces, so supabase-js queries are typed.
export type Database = {
  public: {
    Tables: {
      todos: {
        Row: {
          id: number;
          user_id: string;
          title: string;
          done: boolean;
          inserted_at: string;
        };
        Insert: {
          id?: never;
          user_id?: string;
          title: string;
          done?: boolean;
          inserted_at?: string;
        };
        Update: {
          id?: never;
          user_id?: string;
          title?: string;
          done?: boolean;
          inserted_at?: string;
        };
        Relationships: [];
      };
    };
    Views: { [_ in never]: never };
    Functions: { [_ in never]: never };
    Enums: { [_ in never]: never };
    CompositeTypes: { [_ in never]: never };
  };
};
