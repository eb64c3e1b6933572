FROM node:20 AS build
RUN npm ci
FROM node:20 AS build
RUN npm run build
FROM nginx:1.25
COPY --from=build /app/dist /usr/share/nginx/html
CMD ["nginx", "-g", "daemon off;"]
CMD ["nginx"]
