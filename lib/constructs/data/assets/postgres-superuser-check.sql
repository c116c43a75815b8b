-- Refuse role names that are the bootstrap superuser (altering it would demote it).
DO $check$
BEGIN
  IF current_user = ANY (ARRAY[@role_names@]) THEN
    RAISE EXCEPTION 'init spec role % is the bootstrap superuser (POSTGRES_USER); give the role another name', current_user;
  END IF;
END
$check$;
