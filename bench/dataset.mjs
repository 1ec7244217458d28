// The fixed, deterministic benchmark dataset (seeded PRNG; same bytes every run).
export const CITIES = ["Lisbon", "Porto", "Berlin", "Paris", "Madrid", "Rome", "Vienna", "Prague"];

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 20,000 persons {name, city (8), age, bio 256 B}; 100,000 knows edges, 5 each, 20% to 200 hubs. */
export function makeDataset({ persons = 20_000, edgesPerPerson = 5, hubs = 200, seed = 42 } = {}) {
  const rnd = mulberry32(seed);
  const letters = "abcdefghijklmnopqrstuvwxyz ";
  const people = [];
  for (let i = 0; i < persons; i++) {
    // Built as one flat string: a `+=` chain leaves a V8 cons-string that the first lane to
    // serialize it would pay to flatten (≈40 µs per row), skewing lane order.
    const chars = new Array(256);
    for (let c = 0; c < 256; c++) chars[c] = letters[Math.floor(rnd() * letters.length)];
    const bio = chars.join("");
    people.push({ id: `person_${i}`, props: { name: `Person ${i}`, city: CITIES[Math.floor(rnd() * CITIES.length)], age: 18 + Math.floor(rnd() * 62), bio } });
  }
  const edges = [];
  for (let i = 0; i < persons; i++) {
    for (let k = 0; k < edgesPerPerson; k++) {
      const toHub = rnd() < 0.2;
      let j = toHub ? Math.floor(rnd() * hubs) : Math.floor(rnd() * persons);
      if (j === i) j = (j + 1) % persons;
      edges.push({ id: `knows_${i}_${k}`, from: people[i].id, to: people[j].id, since: 2000 + Math.floor(rnd() * 25) });
    }
  }
  return { people, edges };
}
