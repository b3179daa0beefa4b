/** A booking request's state at one moment, as the drill reads it from one database. */
export interface RequestState {
  status: string;
  /** decided_at, ms since the epoch; null while queued. */
  decidedAt: number | null;
}

export type Statuses = Map<string, RequestState>;

export interface RequestVerdict {
  accepted: number;
  decided: number;
  lost: number;
  redecided: number;
  acceptedAfterBackup: number;
  decidedAgainAfterRestore: number;
  outcomeChanged: number;
}

/**
 * What the restore kept and lost, from three readings of `booking_requests` (the lost primary at
 * its death, the backup as restored, the restored service once recovered) and when each client
 * got its 202. A request the backup must hold is one whose 202 came before pg_dump started (its
 * row was committed before the snapshot) or one found in the backup; each must end decided,
 * and one decided in the backup must keep that decision.
 */
export function judgeRequests(input: {
  acceptedAt: Map<string, number>;
  backupStartedAt: number;
  onLostPrimary: Statuses;
  inBackup: Statuses;
  afterRecovery: Statuses;
}): RequestVerdict {
  const { acceptedAt, backupStartedAt, onLostPrimary, inBackup, afterRecovery } = input;
  const mustSurvive = new Set(inBackup.keys());
  for (const [id, at] of acceptedAt) if (at < backupStartedAt) mustSurvive.add(id);
  let decided = 0;
  let redecided = 0;
  let decidedAgainAfterRestore = 0;
  let outcomeChanged = 0;
  for (const id of mustSurvive) {
    const now = afterRecovery.get(id);
    if (now && now.status !== 'queued') decided += 1;
    const then = inBackup.get(id);
    // Waitlisted is decided but not final: a freed seat moves it on, legitimately.
    if (then && then.status !== 'queued' && then.status !== 'waitlisted') {
      if (now?.status !== then.status || now.decidedAt !== then.decidedAt) redecided += 1;
    }
    const old = onLostPrimary.get(id);
    if (then?.status === 'queued' && old && old.status !== 'queued') {
      decidedAgainAfterRestore += 1;
      if (old.status !== now?.status) outcomeChanged += 1;
    }
  }
  return {
    accepted: mustSurvive.size,
    decided,
    lost: mustSurvive.size - decided,
    redecided,
    acceptedAfterBackup: [...acceptedAt.keys()].filter((id) => !mustSurvive.has(id)).length,
    decidedAgainAfterRestore,
    outcomeChanged,
  };
}
