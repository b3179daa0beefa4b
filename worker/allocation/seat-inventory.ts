/**
 * The seats of one reserved-seating event and which of them are free, in memory for one
 * allocation step. Pure and deterministic: the same map and the same free seats always give the
 * same choice, so "best available" can be tested without a database.
 */

export interface Seat {
  id: string;
  section: string;
  row: string;
  number: number;
  /** Lower is better: the map's section order, then rows nearest the stage. */
  sectionRank: number;
  rowRank: number;
}

interface Row {
  section: string;
  /** Seat numbers are counted from here when centring: the middle of the whole row. */
  centre: number;
  /** Free seat numbers, ascending. */
  free: number[];
  seatsByNumber: Map<number, Seat>;
}

/** A run of consecutive free seat numbers in one row. */
interface Run {
  row: Row;
  rowIndex: number;
  first: number;
  length: number;
}

export class SeatInventory {
  private readonly rows: Row[];
  private readonly seatRow = new Map<string, Row>();
  private readonly seatsById = new Map<string, Seat>();
  private readonly freeIds = new Set<string>();

  /** `seats`: the whole map; `freeIds`: those in no active booking or hold. */
  constructor(seats: readonly Seat[], freeIds: Iterable<string>) {
    const byRow = new Map<string, { ranks: [number, number]; row: Row }>();
    for (const seat of seats) {
      const key = `${seat.section}\u0000${seat.row}`;
      let entry = byRow.get(key);
      if (!entry) {
        entry = {
          ranks: [seat.sectionRank, seat.rowRank],
          row: { section: seat.section, centre: 0, free: [], seatsByNumber: new Map() },
        };
        byRow.set(key, entry);
      }
      entry.row.seatsByNumber.set(seat.number, seat);
      this.seatRow.set(seat.id, entry.row);
      this.seatsById.set(seat.id, seat);
    }
    this.rows = [...byRow.values()]
      .sort((a, b) => a.ranks[0] - b.ranks[0] || a.ranks[1] - b.ranks[1])
      .map(({ row }) => {
        const numbers = [...row.seatsByNumber.keys()];
        row.centre = (Math.min(...numbers) + Math.max(...numbers)) / 2;
        return row;
      });
    for (const id of freeIds) this.markFree(id);
  }

  seat(id: string): Seat | undefined {
    return this.seatsById.get(id);
  }

  isFree(id: string): boolean {
    return this.freeIds.has(id);
  }

  freeCount(section?: string): number {
    let n = 0;
    for (const row of this.rows) if (!section || row.section === section) n += row.free.length;
    return n;
  }

  hasSection(section: string): boolean {
    return this.rows.some((r) => r.section === section);
  }

  take(ids: readonly string[]): void {
    for (const id of ids) {
      if (!this.freeIds.delete(id)) throw new Error(`seat ${id} is not free`);
      const row = this.seatRow.get(id)!;
      const number = this.seatsById.get(id)!.number;
      row.free.splice(row.free.indexOf(number), 1);
    }
  }

  release(ids: readonly string[]): void {
    for (const id of ids) this.markFree(id);
  }

  /**
   * The best `quantity` free seats (in `section`, if given): adjacent seats in the best row that
   * has enough of them, as near the row's middle as possible; failing that, the longest runs
   * first (fewest splits), best rows first. null when fewer seats are free.
   */
  bestAvailable(quantity: number, section?: string): Seat[] | null {
    if (quantity < 1 || this.freeCount(section) < quantity) return null;
    const runs = this.runs(section);
    const together = runs.filter((r) => r.length >= quantity);
    if (together.length > 0) {
      const bestRow = together[0]!.rowIndex;
      const choices = together
        .filter((r) => r.rowIndex === bestRow)
        .map((run) => ({ run, first: centredStart(run, quantity) }))
        .sort(
          (a, b) =>
            distanceFromCentre(a.run.row, a.first, quantity) -
              distanceFromCentre(b.run.row, b.first, quantity) || a.first - b.first,
        );
      const { run, first } = choices[0]!;
      return seatsOf(run.row, first, quantity);
    }
    // No row fits them together: longest runs first; a stable sort keeps better rows first.
    const chosen: Seat[] = [];
    for (const run of [...runs].sort((a, b) => b.length - a.length)) {
      const take = Math.min(run.length, quantity - chosen.length);
      chosen.push(...seatsOf(run.row, centredStart(run, take), take));
      if (chosen.length === quantity) break;
    }
    return chosen;
  }

  private markFree(id: string): void {
    const row = this.seatRow.get(id);
    if (!row) throw new Error(`seat ${id} is not in this event's map`);
    if (this.freeIds.has(id)) return;
    this.freeIds.add(id);
    const number = this.seatsById.get(id)!.number;
    const at = row.free.findIndex((n) => n > number);
    row.free.splice(at === -1 ? row.free.length : at, 0, number);
  }

  private runs(section?: string): Run[] {
    const runs: Run[] = [];
    this.rows.forEach((row, rowIndex) => {
      if (section && row.section !== section) return;
      let start = 0;
      for (let i = 1; i <= row.free.length; i++) {
        if (i === row.free.length || row.free[i] !== row.free[i - 1]! + 1) {
          runs.push({ row, rowIndex, first: row.free[start]!, length: i - start });
          start = i;
        }
      }
    });
    return runs;
  }
}

/** The start of the `quantity`-seat window of `run` nearest its row's middle (ties: lower numbers). */
function centredStart(run: Run, quantity: number): number {
  const ideal = run.row.centre - (quantity - 1) / 2;
  const last = run.first + run.length - quantity;
  return Math.min(Math.max(Math.ceil(ideal - 0.5), run.first), last);
}

function distanceFromCentre(row: Row, first: number, quantity: number): number {
  return Math.abs(first + (quantity - 1) / 2 - row.centre);
}

function seatsOf(row: Row, first: number, quantity: number): Seat[] {
  return Array.from({ length: quantity }, (_, i) => row.seatsByNumber.get(first + i)!);
}
