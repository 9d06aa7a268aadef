const express = require('express');
const { promisify } = require('util');

const app = express();
app.use(express.json());

const cache = new Map();

function key(req) {
  return `${req.method}:${req.originalUrl}`;
}

async function fetchUser(id) {
  if (cache.has(id)) {
    return cache.get(id);
  }
  const res = await fetch(`https://api.internal/users/${id}`);
  if (!res.ok) {
    throw new Error(`user ${id}: ${res.status}`);
  }
  const user = await res.json();
  cache.set(id, user);
  return user;
}

app.get('/users/:id', async (req, res) => {
  try {
    const user = await fetchUser(req.params.id);
    res.json({ id: user.id, name: user.name });
  } catch (err) {
    console.error(key(req), err);
    res.status(502).json({ error: 'upstream' });
  }
});

app.listen(process.env.PORT || 3000, () => {
  console.log('listening');
});
