import fc from 'fast-check';
import { type Seat, SeatInventory } from '../worker/allocation/index.js';

/** Seats `from`..`to` of one row; ids read `section-row-number`. */
function row(
  section: string,
  label: string,
  sectionRank: number,
  rowRank: number,
  to: number,
  from = 1,
): Seat[] {
  return Array.from({ length: to - from + 1 }, (_, i) => ({
    id: `${section}-${label}-${from + i}`,
    section,
    row: label,
    number: from + i,
    sectionRank,
    rowRank,
  }));
}

/** An inventory of `seats` in which all are free except `taken`. */
function inventory(seats: Seat[], taken: string[] = []): SeatInventory {
  return new SeatInventory(
    seats,
    seats.map((s) => s.id).filter((id) => !taken.includes(id)),
  );
}

const ids = (seats: Seat[] | null) => seats?.map((s) => s.id) ?? null;
const numbers = (seats: Seat[] | null) => seats?.map((s) => s.number) ?? null;

describe('SeatInventory.bestAvailable: seats together', () => {
  test('adjacent seats centred in the row, ties going to lower numbers', () => {
    const seats = inventory(row('A', '1', 0, 0, 10));
    expect(numbers(seats.bestAvailable(1))).toEqual([5]);
    expect(numbers(seats.bestAvailable(2))).toEqual([5, 6]);
    expect(numbers(seats.bestAvailable(3))).toEqual([4, 5, 6]);
    expect(numbers(seats.bestAvailable(10))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  test('the centre is the middle of the whole row, whatever its first number', () => {
    expect(numbers(inventory(row('A', '1', 0, 0, 110, 101)).bestAvailable(2))).toEqual([105, 106]);
  });

  test('taken seats are skipped: the free window nearest the centre wins, ties to lower numbers', () => {
    const map = row('A', '1', 0, 0, 10);
    expect(numbers(inventory(map, ['A-1-5', 'A-1-6']).bestAvailable(2))).toEqual([3, 4]);
    expect(numbers(inventory(map, ['A-1-5', 'A-1-6']).bestAvailable(4))).toEqual([1, 2, 3, 4]);
    expect(numbers(inventory(map, ['A-1-4']).bestAvailable(2))).toEqual([5, 6]);
    expect(numbers(inventory(map, ['A-1-4']).bestAvailable(4))).toEqual([5, 6, 7, 8]);
  });

  test('the best row is the lowest sectionRank, then rowRank, whatever the order of the map', () => {
    const seats = inventory([
      ...row('B', '1', 1, 0, 4),
      ...row('A', '3', 0, 2, 4),
      ...row('A', '2', 0, 1, 4),
      ...row('C', '1', 2, 0, 4),
    ]);
    expect(ids(seats.bestAvailable(2))).toEqual(['A-2-2', 'A-2-3']);
  });

  test('a worse row is used only when no better row fits the seats together', () => {
    const map = [...row('A', '1', 0, 0, 10), ...row('A', '2', 0, 1, 10)];
    // Row 1 has pairs only: 1-2, 4-5, 7-8.
    const taken = ['A-1-3', 'A-1-6', 'A-1-9', 'A-1-10'];
    expect(ids(inventory(map, taken).bestAvailable(2))).toEqual(['A-1-4', 'A-1-5']);
    expect(ids(inventory(map, taken).bestAvailable(3))).toEqual(['A-2-4', 'A-2-5', 'A-2-6']);
  });
});

describe('SeatInventory: sections', () => {
  const map = [...row('A', '1', 0, 0, 6), ...row('B', '1', 1, 0, 6)];

  test('a section filter keeps the choice in that section', () => {
    const seats = inventory(map);
    expect(ids(seats.bestAvailable(3, 'B'))).toEqual(['B-1-2', 'B-1-3', 'B-1-4']);
    expect(seats.freeCount('B')).toBe(6);
    expect(seats.freeCount()).toBe(12);
    expect(seats.hasSection('B')).toBe(true);
  });

  test('a full section gives null even when another section has seats', () => {
    const seats = inventory(
      map,
      map.filter((s) => s.section === 'B').map((s) => s.id),
    );
    expect(seats.bestAvailable(1, 'B')).toBeNull();
    expect(seats.freeCount('B')).toBe(0);
    expect(seats.bestAvailable(1)).not.toBeNull();
  });

  test('an unknown section has no seats', () => {
    const seats = inventory(map);
    expect(seats.hasSection('Z')).toBe(false);
    expect(seats.freeCount('Z')).toBe(0);
    expect(seats.bestAvailable(1, 'Z')).toBeNull();
  });
});

describe('SeatInventory.bestAvailable: split seats', () => {
  // Rows 1..6 (centre 3.5). Free runs: row 1: 1-2 and 5; row 2: 2-4; row 3: 3-4.
  const map = [...row('A', '1', 0, 0, 6), ...row('A', '2', 0, 1, 6), ...row('A', '3', 0, 2, 6)];
  const free = ['A-1-1', 'A-1-2', 'A-1-5', 'A-2-2', 'A-2-3', 'A-2-4', 'A-3-3', 'A-3-4'];
  const seats = () =>
    inventory(
      map,
      map.map((s) => s.id).filter((id) => !free.includes(id)),
    );

  test('longest runs first, the better row first among runs of equal length', () => {
    expect(ids(seats().bestAvailable(5))).toEqual(['A-2-2', 'A-2-3', 'A-2-4', 'A-1-1', 'A-1-2']);
    expect(ids(seats().bestAvailable(7))).toEqual([
      'A-2-2',
      'A-2-3',
      'A-2-4',
      'A-1-1',
      'A-1-2',
      'A-3-3',
      'A-3-4',
    ]);
  });

  test('a partly used run gives its seats nearest the centre', () => {
    expect(ids(seats().bestAvailable(4))).toEqual(['A-2-2', 'A-2-3', 'A-2-4', 'A-1-2']);
  });

  test('exactly the quantity asked, all free, no seat twice; null beyond the free seats', () => {
    const inv = seats();
    for (let q = 1; q <= free.length; q++) {
      const chosen = ids(inv.bestAvailable(q))!;
      expect(chosen).toHaveLength(q);
      expect(new Set(chosen).size).toBe(q);
      expect(chosen.every((id) => free.includes(id))).toBe(true);
    }
    expect(inv.bestAvailable(free.length + 1)).toBeNull();
  });
});

describe('SeatInventory: take and release', () => {
  test('null when fewer seats are free than asked, or nothing is asked', () => {
    const seats = inventory(row('A', '1', 0, 0, 3), ['A-1-1']);
    expect(seats.bestAvailable(3)).toBeNull();
    expect(seats.bestAvailable(0)).toBeNull();
    expect(ids(seats.bestAvailable(2))).toEqual(['A-1-2', 'A-1-3']);
  });

  test('take() removes seats from the free ones and refuses a seat that is not free', () => {
    const seats = inventory(row('A', '1', 0, 0, 3));
    seats.take(['A-1-2']);
    expect(seats.isFree('A-1-2')).toBe(false);
    expect(seats.freeCount()).toBe(2);
    expect(seats.bestAvailable(3)).toBeNull();
    expect(ids(seats.bestAvailable(2))).toEqual(['A-1-1', 'A-1-3']);
    expect(() => seats.take(['A-1-2'])).toThrow('seat A-1-2 is not free');
    expect(() => seats.take(['nope'])).toThrow('not free');
  });

  test('release() makes a seat free again, and bestAvailable can return it', () => {
    const seats = inventory(row('A', '1', 0, 0, 3));
    seats.take(['A-1-1', 'A-1-2', 'A-1-3']);
    expect(seats.bestAvailable(1)).toBeNull();
    seats.release(['A-1-2']);
    expect(seats.isFree('A-1-2')).toBe(true);
    expect(ids(seats.bestAvailable(1))).toEqual(['A-1-2']);
    seats.release(['A-1-1', 'A-1-3']);
    expect(ids(seats.bestAvailable(3))).toEqual(['A-1-1', 'A-1-2', 'A-1-3']);
    // Releasing a free seat changes nothing.
    seats.release(['A-1-2']);
    expect(seats.freeCount()).toBe(3);
    expect(seats.bestAvailable(4)).toBeNull();
    expect(() => seats.release(['nope'])).toThrow("not in this event's map");
  });

  test('seat() looks a seat up by id', () => {
    const seats = inventory(row('A', '1', 0, 0, 3));
    expect(seats.seat('A-1-2')).toEqual({
      id: 'A-1-2',
      section: 'A',
      row: '1',
      number: 2,
      sectionRank: 0,
      rowRank: 0,
    });
    expect(seats.seat('nope')).toBeUndefined();
  });
});

describe('SeatInventory: determinism', () => {
  test('the same map and free seats give the same choice, in whatever order they are given', () => {
    const map = [...row('A', '1', 0, 0, 8), ...row('A', '2', 0, 1, 8), ...row('B', '1', 1, 0, 8)];
    const free = map.map((s) => s.id).filter((_, i) => i % 3 !== 1);
    // A fixed permutation: odd positions reversed, then even positions.
    const shuffle = <T>(xs: T[]) => [
      ...xs.filter((_, i) => i % 2).reverse(),
      ...xs.filter((_, i) => i % 2 === 0),
    ];
    const a = new SeatInventory(map, free);
    const b = new SeatInventory(map, free);
    const c = new SeatInventory(shuffle(map), shuffle(free));
    for (let q = 1; q <= free.length + 1; q++) {
      for (const section of [undefined, 'A', 'B']) {
        const expected = ids(a.bestAvailable(q, section));
        expect(ids(b.bestAvailable(q, section))).toEqual(expected);
        expect(ids(c.bestAvailable(q, section))).toEqual(expected);
      }
    }
  });
});

describe('SeatInventory: properties', () => {
  const SECTIONS = ['A', 'B', 'C'];
  const arbitraryCase = fc.record({
    rows: fc.array(
      fc.record({
        section: fc.constantFrom(...SECTIONS),
        size: fc.integer({ min: 1, max: 12 }),
        free: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
      }),
      { minLength: 1, maxLength: 6 },
    ),
    quantity: fc.integer({ min: 1, max: 20 }),
    section: fc.option(fc.constantFrom('A', 'B', 'C', 'Z'), { nil: undefined }),
  });

  test('null iff fewer are free than asked; else that many distinct free seats, together when a row fits them', () => {
    fc.assert(
      fc.property(arbitraryCase, ({ rows, quantity, section }) => {
        // Row i has rowRank i, so no two rows tie on rank.
        const map = rows.flatMap((r, i) => row(r.section, `${i}`, SECTIONS.indexOf(r.section), i, r.size));
        const isFree = (s: Seat) => rows[Number(s.row)]!.free[s.number - 1]!;
        const free = map.filter(isFree);
        const eligible = free.filter((s) => !section || s.section === section);

        const seats = new SeatInventory(
          map,
          free.map((s) => s.id),
        );
        const chosen = seats.bestAvailable(quantity, section);
        expect(seats.freeCount(section)).toBe(eligible.length);
        expect(chosen === null).toBe(eligible.length < quantity);
        // Same choice from the map and free seats given backwards.
        const reversed = new SeatInventory([...map].reverse(), free.map((s) => s.id).reverse());
        expect(ids(reversed.bestAvailable(quantity, section))).toEqual(ids(chosen));
        if (!chosen) return;

        expect(chosen).toHaveLength(quantity);
        expect(new Set(ids(chosen)).size).toBe(quantity);
        expect(chosen.every((s) => seats.isFree(s.id) && (!section || s.section === section))).toBe(true);

        // Runs of free seats, best row first (rows are already in rank order within a section).
        const runs: { row: string; length: number }[] = [];
        const ordered = [...eligible].sort((a, b) => a.sectionRank - b.sectionRank || a.rowRank - b.rowRank);
        ordered.forEach((s, i) => {
          const prev = ordered[i - 1];
          if (prev && prev.row === s.row && prev.number === s.number - 1) runs[runs.length - 1]!.length++;
          else runs.push({ row: s.row, length: 1 });
        });
        // The pieces chosen: consecutive numbers in one row.
        const pieces = chosen.filter((s, i) => {
          const prev = chosen[i - 1];
          return !(prev && prev.row === s.row && prev.number === s.number - 1);
        }).length;

        const fits = runs.find((r) => r.length >= quantity);
        if (fits) {
          expect(pieces).toBe(1);
          expect(chosen[0]!.row).toBe(fits.row);
        } else {
          // Fewest pieces: as many as the longest runs need to cover the quantity.
          const lengths = runs.map((r) => r.length).sort((a, b) => b - a);
          let needed = 0;
          for (let sum = 0; sum < quantity; needed++) sum += lengths[needed]!;
          expect(pieces).toBe(needed);
        }

        seats.take(ids(chosen)!);
        expect(seats.freeCount(section)).toBe(eligible.length - quantity);
      }),
      { seed: 20300101, numRuns: 500 },
    );
  });
});
