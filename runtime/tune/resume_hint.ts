// The `dlpc tune …` command that resumes an interrupted study, as printed after Ctrl-C. It
// names the storage and the study when they were given, and never carries a password: a
// PostgreSQL URL loses its password (pg reads PGPASSWORD or ~/.pgpass instead).

const shellQuote = (s: string): string => (/^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** The URL without its password (and without a `password=` query parameter). */
export function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    const had = u.password !== "" || u.searchParams.has("password");
    if (!had) return url;
    u.password = "";
    u.searchParams.delete("password");
    return u.toString();
  } catch {
    return url.replace(/(\/\/[^:/@]+):[^@]*@/, "$1@").replace(/([?&])password=[^&]*&?/, "$1");
  }
}

export function resumeCommand(file: string, storageUrl: string | undefined, study: string | undefined): string {
  const parts = ["dlpc", "tune", shellQuote(file)];
  if (storageUrl) parts.push("--storage", shellQuote(withoutPassword(storageUrl)));
  if (study) parts.push("--study", shellQuote(study));
  const hidden = storageUrl !== undefined && withoutPassword(storageUrl) !== storageUrl;
  return parts.join(" ") + (hidden ? "  (password left out: set PGPASSWORD or use ~/.pgpass)" : "");
}
