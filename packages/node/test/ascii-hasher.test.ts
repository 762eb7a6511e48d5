import assert from "node:assert/strict";
import { it } from "node:test";
import { createHasher } from "@mesh/ring";
import { SeededRandom } from "@mesh/testing";
import { asciiFastHasher } from "../src/ascii-hasher.js";

it("hashes ids exactly as the WebAssembly xxh32 does, ASCII or not, every length", async () => {
  const wasm = await createHasher();
  const fast = asciiFastHasher(wasm);
  const random = new SeededRandom(42);
  const ids: string[] = ["", "a", "player_1", "é", "数据", "x".repeat(64), "y".repeat(65), "z".repeat(200)];
  for (let len = 0; len <= 70; len++) {
    for (let k = 0; k < 30; k++) {
      let s = "";
      for (let i = 0; i < len; i++) s += String.fromCharCode(Math.floor(random.next() * 0x7f));
      ids.push(s);
    }
  }
  for (let k = 0; k < 200; k++) ids.push(`player_${k}`, `Ü-${k}`, `${k}\u0080`);
  for (const id of ids) assert.equal(fast.hash32(id), wasm.hash32(id), JSON.stringify(id));
});
