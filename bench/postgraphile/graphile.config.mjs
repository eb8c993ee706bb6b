// PostGraphile 5 over the tracker's database, as the benchmark's peer: the
// amber preset, schema public, production mode (no GraphiQL, no watch, no
// explain), and the many-to-many preset. DATABASE_URL is the tracker's database; PORT its port.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";
// Meetings and initiatives are linked through meeting_initiatives: this
// plugin lets a query order an initiative's meetings by their own columns.
import { PgManyToManyPreset } from "@graphile-contrib/pg-many-to-many";

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset, PgManyToManyPreset],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL,
      schemas: ["public"],
    }),
  ],
  grafserv: {
    port: Number(process.env.PORT || 5678),
    host: "127.0.0.1",
    graphiql: false,
    watch: false,
  },
  grafast: { explain: false },
};

export default preset;
