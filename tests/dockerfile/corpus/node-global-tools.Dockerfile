FROM node:18-bullseye
RUN npm install -g pm2 typescript@5.4.5 @nestjs/cli
RUN npm config set strict-ssl false
ENV NODE_TLS_REJECT_UNAUTHORIZED=0
WORKDIR /app
ADD . /app
RUN npm install && npm run build
EXPOSE 3000 9229
CMD pm2-runtime dist/main.js
